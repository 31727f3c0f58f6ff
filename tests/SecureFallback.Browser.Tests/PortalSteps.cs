using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MimeKit;
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

    [GeneratedRegex(@"/pickup/([A-Za-z0-9_-]{43})")]
    private static partial Regex TokenInLink();
}
