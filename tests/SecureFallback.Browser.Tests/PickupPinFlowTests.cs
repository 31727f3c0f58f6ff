using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MimeKit;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed partial class PickupPinFlowTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task PinProtectedMessage_HeldDsnCarriesThePin_FiveWrongLockIt_TheSendersLinkIssuesANewOneThatOpensIt()
    {
        const string marker = "The biopsy result is benign.";
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Rules:0:SubjectContains"] = "[pin]",
            ["SecureFallback:Rules:0:Action"] = "pickup-with-pin",
        });
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@sender.test"));
        message.To.Add(MailboxAddress.Parse("carol@plain.test"));
        message.Subject = "[pin] Lab results";
        message.Body = new TextPart("plain") { Text = marker };
        await server.SendAsync(message);

        // The held DSN, over TLS to the sender's organisation, carries the PIN and the link for a new one.
        var dsn = (await senderServer.WaitForMessagesAsync(1)).Single().Parse();
        var dsnText = ((TextPart)((MultipartReport)dsn.Body!)[0]).Text;
        var pin = PinInDsn().Match(dsnText).Groups[1].Value;
        Assert.Matches("^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$", pin);
        var newPinLink = NewPinLink().Match(dsnText).Value;
        var notice = await plain.WaitForMessageAsync();
        Assert.DoesNotContain(pin, notice.TextBody);

        // The recipient registers through the notice's link: the message asks for the PIN, not the content.
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(page, server, PortalSteps.TokenIn(notice));
        var row = page.Locator("tr", new PageLocatorOptions { HasText = "Alice Example" });
        Assert.DoesNotContain("Lab results", await row.InnerTextAsync());
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await page.WaitForAddressAsync("**/messages/**");
        var messageUrl = page.Url;
        Assert.Contains("Enter the sender's PIN", await page.InnerTextAsync("main"));
        Assert.DoesNotContain(marker, await page.ContentAsync());

        for (var i = 0; i < 5; i++)
        {
            await EnterPinAsync(page, "AAAAA-AAAAA");
        }

        var locked = await page.InnerTextAsync("main");
        Assert.Contains("Ask the sender for a new PIN", locked);
        Assert.Equal(0, await page.GetByLabel("PIN").CountAsync());

        // The sender follows the DSN's link and issues a new PIN, shown once.
        await using var senderContext = await chromium.NewContextAsync();
        var senderPage = await senderContext.NewPageAsync();
        // (The test instance listens on an ephemeral port, so its PublicUrl names port 0: the link's path is used.)
        await senderPage.GotoAsync(new Uri(server.WebAddress, new Uri(newPinLink).PathAndQuery).ToString());
        await senderPage.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Issue a new PIN" }).ClickAsync();
        var newPin = (await senderPage.InnerTextAsync(".pin")).Trim();
        Assert.NotEqual(pin, newPin);

        await page.GotoAsync(messageUrl);
        await EnterPinAsync(page, newPin);
        await page.WaitForSelectorAsync(".body");
        Assert.Contains(marker, await page.InnerTextAsync(".body"));
    }

    private static async Task EnterPinAsync(IPage page, string pin)
    {
        await page.GetByLabel("PIN").FillAsync(pin);
        // Waits for the answer page to be committed, not for its load event (see PageNavigation.WaitForAddressAsync).
        // The answer has the same address, so WaitForURL cannot tell it from the form: the older API it replaced can.
#pragma warning disable CS0612
        await page.RunAndWaitForNavigationAsync(
            () => page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Open the message" }).ClickAsync(),
            new PageRunAndWaitForNavigationOptions { WaitUntil = WaitUntilState.Commit });
#pragma warning restore CS0612
    }

    [GeneratedRegex(@"PIN for <carol@plain\.test>: (\S+)")]
    private static partial Regex PinInDsn();

    [GeneratedRegex(@"https?://\S+/pin/[A-Za-z0-9_-]{43}")]
    private static partial Regex NewPinLink();
}
