using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MimeKit;
using OtpNet;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

/// <summary>What a recipient does in the portal, as reusable steps for browser tests.</summary>
internal static partial class PortalSteps
{
    public const string Password = "a long portal password";

    /// <summary>The single-use token in a pickup notice's link.</summary>
    public static string TokenIn(MimeMessage notice) => TokenInLink().Match(notice.TextBody ?? "").Groups[1].Value;

    /// <summary>Opens the notice's link, creates the account and lands in the inbox.</summary>
    public static async Task RegisterThroughLinkAsync(IPage page, SecureFallbackInstance server, string token)
    {
        await page.GotoAsync(new Uri(server.WebAddress, $"pickup/{token}").ToString());
        await FillNewPasswordAsync(page);
        await page.WaitForAddressAsync("**/inbox");
    }

    /// <summary>From the inbox, opens the message with <paramref name="subject"/>; returns its address.</summary>
    public static async Task<string> OpenMessageAsync(IPage page, string subject)
    {
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = subject }).ClickAsync();
        await page.WaitForAddressAsync("**/messages/**");
        return page.Url;
    }

    /// <summary>
    /// The sender, in a browser of their own, follows the held DSN's revoke link and confirms; returns what the page
    /// then says. The link's path is used: the test instance's PublicUrl names port 0.
    /// </summary>
    public static async Task<string> RevokeAsSenderAsync(ChromiumFixture chromium, SecureFallbackInstance server, string revokeLink)
    {
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.WebAddress, new Uri(revokeLink).PathAndQuery).ToString());
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Revoke the message" }).ClickAsync();
        await page.WaitForSelectorAsync(".notice");
        return await page.InnerTextAsync("main");
    }

    public static async Task FillNewPasswordAsync(IPage page)
    {
        await page.GetByLabel("Password", new PageGetByLabelOptions { Exact = true }).FillAsync(Password);
        await page.GetByLabel("Repeat password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Create account and open messages" }).ClickAsync();
    }

    public static async Task SignOutAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign out" }).ClickAsync();
        await page.WaitForAddressAsync("**/login");
    }

    /// <summary>
    /// An admin's first sign-in with the password from <c>users add-admin</c>: the portal leads to the security page,
    /// the admin turns on two-step sign-in there, and then <paramref name="path"/> opens.
    /// </summary>
    public static async Task<Totp> SignInAsNewAdminAsync(IPage page, SecureFallbackInstance server, string email, string password, string path)
    {
        await page.GotoAsync(new Uri(server.WebAddress, path.TrimStart('/')).ToString());
        await page.GetByLabel("E-mail address").FillAsync(email);
        await page.GetByLabel("Portal password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await page.WaitForAddressAsync("**/account/security?admin=1");
        Assert.Contains("The admin console opens only after two-step sign-in.", await page.InnerTextAsync("#admin-second-step"));
        var authenticator = await TurnOnAuthenticatorAsync(page);
        await page.GotoAsync(new Uri(server.WebAddress, path.TrimStart('/')).ToString());
        return authenticator;
    }

    /// <summary>On the security page: turns on two-step sign-in with an authenticator app; returns the app.</summary>
    public static async Task<Totp> TurnOnAuthenticatorAsync(IPage page)
    {
        var key = Base32Encoding.ToBytes((await page.InnerTextAsync("#setup-key")).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant());
        var authenticator = new Totp(key);
        await page.GetByLabel("Code from the app").FillAsync(authenticator.ComputeTotp());
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Turn two-step sign-in on" }).ClickAsync();
        Assert.Contains("Two-step sign-in is on.", await page.InnerTextAsync(".notice"));
        return authenticator;
    }

    [GeneratedRegex(@"/pickup/([A-Za-z0-9_-]{43})")]
    private static partial Regex TokenInLink();
}
