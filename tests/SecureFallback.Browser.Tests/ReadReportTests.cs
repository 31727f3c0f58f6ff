using Microsoft.Playwright;
using MimeKit;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

/// <summary>
/// The sender learns who opened the message: the read receipt names the first reader's network, browser family and
/// whether the account was made for this message, and an opening from another network is reported too.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class ReadReportTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task FirstOpening_IsDescribedInTheReadReceipt_AndASignInFromAnotherNetwork_IsReportedToTheSender()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Board minutes", "read-report-marker-body");
        var token = PortalSteps.TokenIn(await plain.WaitForMessageAsync());
        await senderServer.WaitForMessagesAsync(1); // the "held" DSN

        // The recipient registers and reads from the office (the loopback client: 127.0.0.0/24).
        await using var office = await chromium.NewContextAsync();
        var page = await office.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(page, server, token);
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Board minutes" }).ClickAsync();
        await page.WaitForAddressAsync("**/messages/**");
        Assert.Contains("read-report-marker-body", await page.InnerTextAsync(".body"));

        var receipt = (await senderServer.WaitForMessagesAsync(2)).Select(m => m.Parse()).Single(m => m.Body is MultipartReport { ReportType: "disposition-notification" });
        var receiptText = ((TextPart)((MultipartReport)receipt.Body!)[0]).Text;
        Assert.Contains("Network: 127.0.0.0/24", receiptText);
        Assert.Contains("Browser: Chrome", receiptText);
        Assert.Contains("Account created for this message: yes", receiptText);

        // A second sign-in from elsewhere (a proxy on this machine names the client, as a reverse proxy would).
        await using var elsewhere = await chromium.NewContextAsync(new BrowserNewContextOptions
        {
            ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.77" },
        });
        var second = await elsewhere.NewPageAsync();
        await second.GotoAsync(new Uri(server.WebAddress, "login").ToString());
        await second.GetByLabel("E-mail address").FillAsync("carol@plain.test");
        await second.GetByLabel("Portal password").FillAsync(PortalSteps.Password);
        await second.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await second.WaitForAddressAsync("**/inbox");
        await second.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Board minutes" }).ClickAsync();
        await second.WaitForAddressAsync("**/messages/**");
        Assert.Contains("read-report-marker-body", await second.InnerTextAsync(".body"));

        var again = (await senderServer.WaitForMessagesAsync(3)).Select(m => m.Parse()).Single(m => (m.Subject ?? "").StartsWith("Opened again", StringComparison.Ordinal));
        Assert.Equal("alice@sender.test", again.To.Mailboxes.Single().Address);
        Assert.Contains("203.0.113.0/24", again.TextBody);
        Assert.Contains("127.0.0.0/24", again.TextBody); // with the first opening, to compare
    }
}
