using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OtpNet;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

/// <summary>Account life beyond the first visit: confirmation code by mail, password reset by mail, two-step sign-in.</summary>
[Collection(ChromiumCollection.Name)]
public sealed partial class AccountTests(ChromiumFixture chromium)
{
    private static Dictionary<string, string> HoldFor(ScriptedSmtpReceiver plain) => new()
    {
        ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
    };

    [Fact]
    public async Task VisitorWithoutLinkOrCode_RegistersWithACodeMailedToTheAddress()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(HoldFor(plain));
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Contract draft", "Clause 7 stays as agreed.");
        await plain.WaitForMessagesAsync(1); // the pickup notice, which this visitor pretends to have lost
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();

        // An address without waiting messages gets the same answer, and no mail.
        await RequestCodeAsync(page, server, "nobody@plain.test");
        Assert.Contains("If a message is waiting for nobody@plain.test", await page.InnerTextAsync("main"));
        await RequestCodeAsync(page, server, "Carol@Plain.test");
        var mails = await plain.WaitForMessagesAsync(2);
        var codeMail = mails.Last();
        Assert.Equal(["carol@plain.test"], codeMail.To);
        Assert.Contains("confirmation code", codeMail.Parse().Subject, StringComparison.Ordinal);
        Assert.DoesNotContain("Clause 7", codeMail.Text, StringComparison.Ordinal);

        await page.GetByLabel("Confirmation code").FillAsync("000000");
        await FillPasswordsAsync(page, "Password", "Repeat password", PortalSteps.Password);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Create account and open messages" }).ClickAsync();
        Assert.Contains("not right or has expired", await page.InnerTextAsync(".error"));

        await page.GetByLabel("Confirmation code").FillAsync(CodeIn(codeMail));
        await FillPasswordsAsync(page, "Password", "Repeat password", PortalSteps.Password);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Create account and open messages" }).ClickAsync();
        await page.WaitForAddressAsync("**/inbox");
        Assert.Contains("Contract draft", await page.InnerTextAsync("main"));
        Assert.DoesNotContain(plain.Messages, m => m.To.Contains("nobody@plain.test"));
    }

    [Fact]
    public async Task Recipient_ResetsAForgottenPasswordWithACodeByMail()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(HoldFor(plain));
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Payslip", "Net: 100");
        var notice = await plain.WaitForMessageAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(page, server, PortalSteps.TokenIn(notice));
        await PortalSteps.SignOutAsync(page);

        await page.GotoAsync(new Uri(server.WebAddress, "login").ToString());
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Forgot your password?" }).ClickAsync();
        await page.GetByLabel("E-mail address").FillAsync("carol@plain.test");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Mail me a code" }).ClickAsync();
        var resetMail = (await plain.WaitForMessagesAsync(2)).Last();
        Assert.Contains("password reset code", resetMail.Parse().Subject, StringComparison.Ordinal);

        const string newPassword = "another long portal password";
        await page.GetByLabel("Reset code").FillAsync(CodeIn(resetMail));
        await FillPasswordsAsync(page, "New password", "Repeat new password", newPassword);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Set new password" }).ClickAsync();
        Assert.Contains("Your password was changed", await page.InnerTextAsync("main"));

        await SignInAsync(page, server, "carol@plain.test", PortalSteps.Password);
        Assert.Contains("not right", await page.InnerTextAsync(".error"));
        await SignInAsync(page, server, "carol@plain.test", newPassword);
        await page.WaitForAddressAsync("**/inbox");
        Assert.Contains("Payslip", await page.InnerTextAsync("main"));
    }

    [Fact]
    public async Task Recipient_TurnsOnTwoStepSignIn_AndThenNeedsTheAuthenticatorCode()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(HoldFor(plain));
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Board minutes", "Confidential.");
        var notice = await plain.WaitForMessageAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(page, server, PortalSteps.TokenIn(notice));

        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Two-step sign-in" }).ClickAsync();
        Assert.True(await page.GetByRole(AriaRole.Img, new PageGetByRoleOptions { Name = "QR code for your authenticator app" }).IsVisibleAsync());
        var key = Base32Encoding.ToBytes((await page.InnerTextAsync("#setup-key")).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant());
        var authenticator = new Totp(key);
        await page.GetByLabel("Code from the app").FillAsync(authenticator.ComputeTotp());
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Turn two-step sign-in on" }).ClickAsync();
        Assert.Contains("Two-step sign-in is on.", await page.InnerTextAsync("main"));
        var recoveryCodes = await page.Locator(".codes code").AllInnerTextsAsync();
        Assert.Equal(8, recoveryCodes.Count);
        await PortalSteps.SignOutAsync(page);

        await SignInAsync(page, server, "carol@plain.test", PortalSteps.Password);
        await page.WaitForAddressAsync("**/login/two-factor**");
        await page.GotoAsync(new Uri(server.WebAddress, "inbox").ToString());
        Assert.EndsWith("/login", new Uri(page.Url).AbsolutePath); // the password alone is not a session

        await SignInAsync(page, server, "carol@plain.test", PortalSteps.Password);
        await page.GetByLabel("Authenticator or recovery code").FillAsync("123 456");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        Assert.Contains("not right", await page.InnerTextAsync(".error"));
        // The code that turned it on is spent (single use): the app's next code, within the allowed drift, signs in.
        await page.GetByLabel("Authenticator or recovery code").FillAsync(authenticator.ComputeTotp(DateTime.UtcNow.AddSeconds(30)));
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await page.WaitForAddressAsync("**/inbox");
        Assert.Contains("Board minutes", await page.InnerTextAsync("main"));

        // A recovery code works once, in place of the app.
        await PortalSteps.SignOutAsync(page);
        await SignInAsync(page, server, "carol@plain.test", PortalSteps.Password);
        await page.GetByLabel("Authenticator or recovery code").FillAsync(recoveryCodes[0]);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await page.WaitForAddressAsync("**/inbox");
    }

    private static async Task RequestCodeAsync(IPage page, SecureFallbackInstance server, string address)
    {
        await page.GotoAsync(new Uri(server.WebAddress, "login").ToString());
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Get a confirmation code by mail" }).ClickAsync();
        await page.GetByLabel("E-mail address").FillAsync(address);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Mail me a code" }).ClickAsync();
    }

    private static async Task SignInAsync(IPage page, SecureFallbackInstance server, string address, string password)
    {
        await page.GotoAsync(new Uri(server.WebAddress, "login").ToString());
        await page.GetByLabel("E-mail address").FillAsync(address);
        await page.GetByLabel("Portal password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
    }

    private static async Task FillPasswordsAsync(IPage page, string label, string repeatLabel, string password)
    {
        await page.GetByLabel(label, new PageGetByLabelOptions { Exact = true }).FillAsync(password);
        await page.GetByLabel(repeatLabel).FillAsync(password);
    }

    /// <summary>The code in an account mail, typed as a careful person might: lower case, a space for the dash.</summary>
    private static string CodeIn(ReceivedMessage mail) =>
        MailedCode().Match(mail.Parse().TextBody ?? "").Groups[1].Value.ToLowerInvariant().Replace('-', ' ');

    [GeneratedRegex(@"Your code is:\s+([23456789A-HJ-NP-Z]{5}-[23456789A-HJ-NP-Z]{5})\s")]
    private static partial Regex MailedCode();
}
