using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed partial class ReferenceCodeTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task Recipient_TypesTheReferenceCodeInsteadOfClicking_AndGetsToTheMessage()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Invoice 42", "Amount due: 12 EUR");
        var notice = await plain.WaitForMessageAsync();
        var code = ReferenceCode().Match(notice.TextBody ?? "").Value;
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();

        // The notice says: go to the portal address yourself and enter the code. Its front page has the form.
        var portal = new Uri(Regex.Match(notice.TextBody!, @"go to the portal yourself:\s+(\S+)").Groups[1].Value);
        Assert.Equal("/", portal.AbsolutePath);
        await page.GotoAsync(server.WebAddress.ToString()); // the test server's real port (the notice has the configured :0)
        Assert.Contains("never asks for your e-mail password", await page.InnerTextAsync("main"));
        await page.GetByLabel("E-mail address").FillAsync("Carol@Plain.test");
        await page.GetByLabel("Reference code").FillAsync("AAA-BBB-CCC");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Continue" }).ClickAsync();
        Assert.Contains("do not match", await page.InnerTextAsync(".error"));

        await page.GetByLabel("E-mail address").FillAsync("Carol@Plain.test");
        await page.GetByLabel("Reference code").FillAsync(code.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Continue" }).ClickAsync();
        await PortalSteps.FillNewPasswordAsync(page);

        await page.WaitForAddressAsync("**/inbox");
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Invoice 42" }).ClickAsync();
        Assert.Contains("Amount due: 12 EUR", await page.InnerTextAsync(".body"));
    }

    [GeneratedRegex("[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}")]
    private static partial Regex ReferenceCode();
}
