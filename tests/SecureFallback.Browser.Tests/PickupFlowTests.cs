using Microsoft.Playwright;
using MimeKit;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed class PickupFlowTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task Recipient_FollowsTheNoticeLink_RegistersAndReadsTheHeldMessage_OnceOnly()
    {
        const string marker = "The biopsy result is benign.";
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
        });
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@sender.test"));
        message.To.Add(MailboxAddress.Parse("carol@plain.test"));
        message.Subject = "Lab results";
        var attachmentBytes = System.Text.Encoding.ASCII.GetBytes("%PDF-1.4 pretend scan");
        var body = new BodyBuilder { TextBody = marker };
        body.Attachments.Add("scan result.pdf", attachmentBytes);
        message.Body = body.ToMessageBody();
        await server.SendAsync(message);

        var notice = await plain.WaitForMessageAsync();
        var token = PortalSteps.TokenIn(notice);
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") consoleErrors.Add(m.Text); };

        await page.GotoAsync(new Uri(server.WebAddress, $"pickup/{token}").ToString());
        Assert.Contains("carol@plain.test", await page.InnerTextAsync("main"));
        await PortalSteps.FillNewPasswordAsync(page);

        await page.WaitForAddressAsync("**/inbox");
        var row = page.Locator("tr", new PageLocatorOptions { HasText = "Lab results" });
        Assert.Contains("Alice Example", await row.InnerTextAsync());
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await page.WaitForAddressAsync("**/messages/**");
        Assert.Contains(marker, await page.InnerTextAsync(".body"));
        Assert.Empty(consoleErrors);

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "scan result.pdf" }).ClickAsync());
        Assert.Equal("scan result.pdf", download.SuggestedFilename);
        Assert.Equal(attachmentBytes, await File.ReadAllBytesAsync((await download.PathAsync())!));
        var eml = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Download the whole message (.eml)" }).ClickAsync());
        Assert.Equal("message.eml", eml.SuggestedFilename);
        Assert.Contains("Subject: Lab results", await File.ReadAllTextAsync((await eml.PathAsync())!));

        // First opening: one read receipt (RFC 8098) to the sender, next to the "held" DSN; a second opening adds none.
        var reports = await senderServer.WaitForMessagesAsync(2);
        var mdn = reports.Select(r => r.Parse()).Single(r => r.Body is MultipartReport { ReportType: "disposition-notification" });
        var fields = Assert.IsType<MessageDispositionNotification>(Assert.IsType<MultipartReport>(mdn.Body)[1]).Fields;
        Assert.Equal("automatic-action/MDN-sent-automatically; displayed", fields["Disposition"]);
        Assert.Equal("rfc822; carol@plain.test", fields["Final-Recipient"]);
        Assert.Equal($"<{message.MessageId}>", fields["Original-Message-ID"]);
        await page.ReloadAsync();
        await server.WaitForIdleQueueAsync();
        Assert.Equal(2, senderServer.Messages.Count);

        // The spent link still serves its owner: signed in, it opens the message straight away.
        await page.GotoAsync(new Uri(server.WebAddress, $"pickup/{token}").ToString());
        await page.WaitForAddressAsync("**/messages/**");
        Assert.Contains(marker, await page.InnerTextAsync(".body"));

        await using var other = await chromium.NewContextAsync();
        var second = await other.NewPageAsync();
        await second.GotoAsync(new Uri(server.WebAddress, $"pickup/{token}").ToString());
        Assert.True(await second.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "I did not create this account" }).IsVisibleAsync());
        await second.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await second.WaitForAddressAsync("**/login**");
        Assert.Equal("/login", new Uri(second.Url).AbsolutePath); // signed out: the link leads to sign-in, never past it
        await second.GotoAsync(new Uri(server.WebAddress, "inbox").ToString());
        Assert.EndsWith("/login", new Uri(second.Url).AbsolutePath); // no session, no messages
    }

    /// <summary>Unusual but valid RFC 5321 mailboxes, as the sender's server spells them in RCPT TO.</summary>
    private static readonly string[] UnusualAddresses =
    [
        "o'brien@plain.test",
        "!#$%*?^{|}~@plain.test",
        "MiXeD.Case@Plain.TEST",
        "\"john smith\"@plain.test",
        "\"a@b\"@plain.test",
        "jurgen@xn--bcher-kva.test",
    ];

    [Fact]
    public async Task UnusualAddresses_EachRegisterThroughTheirLink_SignInByTypingTheAddress_AndRead()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:xn--bcher-kva.test"] = plain.Route,
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "100", // one client registers and signs in for the whole table
        });
        foreach (var (address, index) in UnusualAddresses.Select((a, i) => (a, i)))
        {
            await server.SendAsync("alice@sender.test", [address], $"For recipient {index}", $"marker-{index}-body");
        }

        var notices = (await plain.WaitForMessagesAsync(UnusualAddresses.Length)).Select(n => n.Parse()).ToList();
        foreach (var (address, index) in UnusualAddresses.Select((a, i) => (a, i)))
        {
            var mailbox = MailboxAddress.Parse(address).Address;
            var notice = notices.Single(n => n.To.Mailboxes.Any(m => string.Equals(m.Address, mailbox, StringComparison.OrdinalIgnoreCase)));
            await using var context = await chromium.NewContextAsync();
            var page = await context.NewPageAsync();

            await PortalSteps.RegisterThroughLinkAsync(page, server, PortalSteps.TokenIn(notice));
            await PortalSteps.SignOutAsync(page);
            await page.GetByLabel("E-mail address").FillAsync(address);
            await page.GetByLabel("Portal password").FillAsync(PortalSteps.Password);
            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
            await page.WaitForAddressAsync("**/inbox");
            await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = $"For recipient {index}" }).ClickAsync();
            await page.WaitForAddressAsync("**/messages/**");
            Assert.Contains($"marker-{index}-body", await page.InnerTextAsync(".body"));
        }
    }
}
