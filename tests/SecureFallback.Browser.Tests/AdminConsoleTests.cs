using Microsoft.Playwright;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed class AdminConsoleTests(ChromiumFixture chromium)
{
    private const string AdminPassword = "an admin console password";

    [Fact]
    public async Task Admin_SeesWhatHappenedAndWhy_AndEditsAPolicyThatTheNextMessageObeys()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var (exitCode, output) = await CliRunner.RunAsync(["users", "add-admin", "admin@ops.test", $"--SecureFallback:DataDirectory={dataDirectory}"], AdminPassword + "\n");
        Assert.True(exitCode == 0, output);
        await using var bouncing = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var holding = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var selfSigned = await TlsSmtpReceiver.StartAsync("mx.partner-c.test");
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string>
            {
                ["SecureFallback:Delivery:Routes:partner-b.test"] = bouncing.Route,
                ["SecureFallback:Delivery:Routes:plain.test"] = holding.Route,
                ["SecureFallback:Delivery:Routes:partner-c.test"] = selfSigned.Route,
                ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
                ["SecureFallback:Policies:partner-b.test:OnFailure"] = "bounce",
            },
            dataDirectory);
        await server.SendAsync("alice@sender.test", ["ben@partner-b.test"], "Invoice", "body");
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Report", "body");
        await server.SendAsync("alice@sender.test", ["cat@partner-c.test"], "Before", "body");
        await server.WaitForRecipientsAsync(r => r.Count(x => x.Message!.Kind == Core.Messages.MessageKind.Submitted && x.Status != Core.Messages.RecipientStatus.Queued) == 3);
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();

        await PortalSteps.SignInAsNewAdminAsync(page, server, "admin@ops.test", AdminPassword, "/admin");
        await page.WaitForAddressAsync("**/admin");
        Assert.True(await page.Locator("#count-delivered").CountAsync() == 1, await page.InnerTextAsync("body"));

        Assert.Equal("1", await page.InnerTextAsync("#count-delivered")); // cat, over TLS at the default level encrypt
        Assert.Equal("1", await page.InnerTextAsync("#count-held"));
        Assert.Equal("1", await page.InnerTextAsync("#count-bounced"));
        var lacking = await page.InnerTextAsync("#domains-lacking-tls");
        Assert.Contains("partner-b.test", lacking);
        Assert.Contains("plain.test", lacking);
        Assert.True(await page.Locator("svg[role=img] rect").CountAsync() >= 3);

        await page.Locator("#recent tr", new PageLocatorOptions { HasText = "ben@partner-b.test" }).GetByRole(AriaRole.Link, new LocatorGetByRoleOptions { Name = "Trail" }).ClickAsync();
        var recipients = await page.InnerTextAsync("#recipients");
        Assert.Contains("Failed 5.7.10", recipients);
        Assert.Contains("starttls-not-supported", recipients);
        Assert.Contains("policy partner-b.test", recipients);
        Assert.Contains("encrypt / bounce", recipients);
        Assert.Contains("TlsUnavailable", await page.InnerTextAsync("#attempts"));

        // Raise partner-c to verify in the editor: its self-signed certificate no longer passes, so the next message is held.
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Policies and rules" }).ClickAsync();
        Assert.Contains("partner-b.test", await page.InnerTextAsync("#policies"));
        await page.GetByLabel("Domain (default, partner.example or *.partner.example)").FillAsync("partner-c.test");
        await page.GetByLabel("TLS level").SelectOptionAsync("verify");
        await page.GetByLabel("When the level cannot be met").SelectOptionAsync("pickup");
        await page.GetByLabel("TLS-Required: No").CheckAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Save policy" }).ClickAsync();
        Assert.Contains("Saved the policy for partner-c.test", await page.InnerTextAsync(".notice"));
        var row = page.Locator("#policies tr", new PageLocatorOptions { HasText = "partner-c.test" });
        Assert.Contains("verify", await row.InnerTextAsync());
        Assert.Contains("yes", await row.InnerTextAsync()); // honours TLS-Required: No
        Assert.Contains("console", await row.InnerTextAsync());

        await server.SendAsync("alice@sender.test", ["cat@partner-c.test"], "After", "body");
        var held = await server.WaitForRecipientsAsync(r => r.Any(x => x.Address == "cat@partner-c.test" && x.Status == Core.Messages.RecipientStatus.HeldForPickup));
        Assert.Equal("certificate-not-trusted", held.First(x => x.Address == "cat@partner-c.test" && x.Status == Core.Messages.RecipientStatus.HeldForPickup).Reason);

        // The shadow report had already seen it coming: the first delivery to partner-c would have failed at verify.
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Shadow report" }).ClickAsync();
        var shadow = page.Locator("#shadow tr", new PageLocatorOptions { HasText = "partner-c.test" });
        Assert.Equal(["partner-c.test", "1", "1", "1"], (await shadow.Locator("td").AllInnerTextsAsync()).ToArray());

        var csv = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Audit CSV" }).ClickAsync());
        var lines = await File.ReadAllLinesAsync((await csv.PathAsync())!);
        Assert.StartsWith("attempt_time,message_id,kind,sender,recipient,policy_level", lines[0]);
        Assert.Contains(lines, l => l.Contains("ben@partner-b.test", StringComparison.Ordinal) && l.Contains("starttls-not-supported", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("body", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Recipient_WithoutTheAdminRole_IsRefusedTheConsole()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Hello", "body");
        var notice = await plain.WaitForMessageAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(page, server, PortalSteps.TokenIn(notice));

        var response = await page.GotoAsync(new Uri(server.WebAddress, "admin/policies").ToString());

        Assert.Equal(403, response!.Status);
        Assert.Contains("You do not have access", await page.InnerTextAsync("h1"));
        var csv = await page.APIRequest.GetAsync(new Uri(server.WebAddress, "admin/audit.csv").ToString(), new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.NotEqual(200, csv.Status);
    }
}

[Collection(ChromiumCollection.Name)]
public sealed class AdminQueueTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task Admin_RetriesAWaitingMessageNow_AndDeletesAnother_WhoseSenderIsTold()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        Assert.Equal(0, (await CliRunner.RunAsync(["users", "add-admin", "admin@ops.test", $"--SecureFallback:DataDirectory={dataDirectory}"], "an admin console password\n")).ExitCode);
        var downPort = TestPorts.Free();
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string>
            {
                ["SecureFallback:Delivery:Routes:later.test"] = $"127.0.0.1:{downPort}",
                ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
                ["SecureFallback:Delivery:RetrySchedule:0"] = "01:00:00",
            },
            dataDirectory);
        await server.SendAsync("alice@sender.test", ["keep@later.test"], "One", "body");
        await server.SendAsync("alice@sender.test", ["drop@later.test"], "Two", "body");
        await server.WaitForRecipientsAsync(r => r.Count(x => x.AttemptCount == 1) == 2);
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalSteps.SignInAsNewAdminAsync(page, server, "admin@ops.test", "an admin console password", "/admin/queue");
        await page.WaitForAddressAsync("**/admin/queue");

        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Retry now: keep@later.test" }).ClickAsync();
        Assert.Contains("Retrying keep@later.test now.", await page.InnerTextAsync(".notice"));
        await server.WaitForRecipientsAsync(r => r.Any(x => x.Address == "keep@later.test" && x.AttemptCount == 2)); // not an hour later

        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Delete (sender is told): drop@later.test" }).ClickAsync();
        Assert.Contains("Deleted drop@later.test; the sender is told.", await page.InnerTextAsync(".notice"));
        Assert.DoesNotContain("drop@later.test", await page.InnerTextAsync("main").ContinueWith(t => t.Result.Replace("Deleted drop@later.test; the sender is told.", "", StringComparison.Ordinal), TaskScheduler.Default));
        var dsn = Assert.Single(await senderServer.WaitForMessagesAsync(1));
        Assert.Contains("drop@later.test", dsn.Text);
        Assert.Contains("Status: 5.3.0", dsn.Text);
    }
}
