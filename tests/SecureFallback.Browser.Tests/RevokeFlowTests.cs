using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MimeKit;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed partial class RevokeFlowTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task SendersRevokeLink_ConfirmedOnItsPage_TheRecipientSeesRevokedInsteadOfTheMessage()
    {
        const string marker = "The contract draft, version 3.";
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Contract", marker);
        var dsn = (await senderServer.WaitForMessagesAsync(1)).Single().Parse();
        var revokeLink = RevokeLink().Match(((TextPart)((MultipartReport)dsn.Body!)[0]).Text).Value;

        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(page, server, PortalSteps.TokenIn(await plain.WaitForMessageAsync()));
        var messageUrl = await PortalSteps.OpenMessageAsync(page, "Contract");
        Assert.Contains(marker, await page.ContentAsync());

        Assert.Contains("is revoked", await PortalSteps.RevokeAsSenderAsync(chromium, server, revokeLink));

        await page.GotoAsync(messageUrl);
        var shown = await page.InnerTextAsync("main");
        Assert.Contains("Revoked by the sender on", shown);
        Assert.DoesNotContain(marker, await page.ContentAsync());
        await page.GotoAsync(new Uri(server.WebAddress, "/inbox").ToString());
        Assert.Contains("Revoked by the sender on", await page.InnerTextAsync("main"));
    }

    [GeneratedRegex(@"https?://\S+/held/revoke/[A-Za-z0-9_-]{43}")]
    private static partial Regex RevokeLink();
}
