using Microsoft.Playwright;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

/// <summary>
/// Passkeys (WebAuthn) in Chromium with a DevTools virtual authenticator. WebAuthn needs a domain, not an IP address,
/// so the portal is reached as http://localhost:PORT, its public URL.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class PasskeyTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task Recipient_AddsAPasskey_AndSignsInWithItAlone_OnlyThePasskeyPagesAllowAScript()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var (server, portal) = await StartAsync(new() { ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route });
        await using var _ = server;
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Board minutes", "Confidential.");
        var notice = await plain.WaitForMessageAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await AddVirtualAuthenticatorAsync(context, page);
        await page.GotoAsync(new Uri(portal, $"pickup/{PortalSteps.TokenIn(notice)}").ToString());
        await PortalSteps.FillNewPasswordAsync(page);
        await page.WaitForAddressAsync("**/inbox");
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);

        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Passkeys" }).ClickAsync();
        await AddPasskeyAsync(page);
        await PortalSteps.SignOutAsync(page);

        var login = await page.GotoAsync(new Uri(portal, "login").ToString());
        Assert.DoesNotContain("script-src", await login!.HeaderValueAsync("content-security-policy"));
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Sign in with a passkey" }).ClickAsync();
        await SignInWithPasskeyAsync(page);
        await page.WaitForAddressAsync("**/inbox");
        Assert.Contains("Board minutes", await page.InnerTextAsync("main"));
        var message = await page.GotoAsync(new Uri(portal, "inbox").ToString());
        Assert.DoesNotContain("script-src", await message!.HeaderValueAsync("content-security-policy"));
    }

    [Fact]
    public async Task Admin_AddsAPasskey_AndOpensTheConsoleAfterSigningInWithIt()
    {
        var (server, portal) = await StartAsync([]);
        await using var _ = server;
        await server.AddPortalUserAsync("admin@ops.test", "an admin console password", "Admin");
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await AddVirtualAuthenticatorAsync(context, page);

        await page.GotoAsync(new Uri(portal, "admin").ToString());
        await page.GetByLabel("E-mail address").FillAsync("admin@ops.test");
        await page.GetByLabel("Portal password").FillAsync("an admin console password");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await page.WaitForAddressAsync("**/account/security?admin=1");
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded); // the redirect's page parsed before its link is followed
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "add a passkey" }).ClickAsync();
        await AddPasskeyAsync(page);
        await PortalSteps.SignOutAsync(page);

        await page.GotoAsync(new Uri(portal, "login/passkey").ToString());
        await SignInWithPasskeyAsync(page);
        await page.WaitForAddressAsync("**/inbox");
        var console = await page.GotoAsync(new Uri(portal, "admin").ToString());
        Assert.Equal(200, console!.Status);
        Assert.True(await page.Locator("#count-delivered").CountAsync() == 1, await page.InnerTextAsync("body"));
    }

    [Fact]
    public async Task Admin_WithAPasskey_PasswordAloneLeadsToThePasskey_AndASessionFromThePasswordAloneEnds()
    {
        var (server, portal) = await StartAsync([]);
        await using var _ = server;
        await server.AddPortalUserAsync("admin@ops.test", "an admin console password", "Admin");
        await using var intruderContext = await chromium.NewContextAsync();
        var intruder = await intruderContext.NewPageAsync();
        await SignInWithPasswordAsync(intruder, portal, "admin");
        await intruder.WaitForAddressAsync("**/account/security?admin=1");
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await AddVirtualAuthenticatorAsync(context, page);
        await SignInWithPasswordAsync(page, portal, "admin");
        await page.WaitForAddressAsync("**/account/security?admin=1");
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded); // the redirect's page parsed before its link is followed
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "add a passkey" }).ClickAsync();
        await AddPasskeyAsync(page);

        // The session someone opened with the password alone, before the passkey, ends with it: no passkey of their own.
        await intruder.GotoAsync(new Uri(portal, "account/passkeys").ToString());
        await intruder.WaitForAddressAsync("**/login**");
        await PortalSteps.SignOutAsync(page);

        await SignInWithPasswordAsync(page, portal, "admin");
        await page.Locator("#use-passkey").WaitForAsync();
        Assert.Contains("This account signs in with a passkey", await page.InnerTextAsync("main"));
        Assert.Equal(0, await page.GetByLabel("Portal password").CountAsync());
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Sign in with a passkey" }).ClickAsync();
        await SignInWithPasskeyAsync(page);
        await page.WaitForAddressAsync("**/admin");
        Assert.True(await page.Locator("#count-delivered").CountAsync() == 1, await page.InnerTextAsync("body"));
    }

    /// <summary>Opens <paramref name="path"/>, which leads to /login, and signs in there with the admin's password.</summary>
    private static async Task SignInWithPasswordAsync(IPage page, Uri portal, string path)
    {
        await page.GotoAsync(new Uri(portal, path).ToString());
        await page.GetByLabel("E-mail address").FillAsync("admin@ops.test");
        await page.GetByLabel("Portal password").FillAsync("an admin console password");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
    }

    private static async Task<(SecureFallbackInstance Server, Uri Portal)> StartAsync(Dictionary<string, string> settings)
    {
        var port = TestPorts.Free();
        settings["Urls"] = $"http://127.0.0.1:{port}";
        settings["SecureFallback:Portal:PublicUrl"] = $"http://localhost:{port}";
        return (await SecureFallbackInstance.StartAsync(settings), new Uri($"http://localhost:{port}/"));
    }

    /// <summary>A platform authenticator that holds discoverable credentials and verifies its user (a fingerprint, a PIN).</summary>
    private static async Task AddVirtualAuthenticatorAsync(IBrowserContext context, IPage page)
    {
        var devTools = await context.NewCDPSessionAsync(page);
        await devTools.SendAsync("WebAuthn.enable");
        await devTools.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "internal",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = true,
                ["isUserVerified"] = true,
                ["automaticPresenceSimulation"] = true,
            },
        });
    }

    /// <summary>On the passkeys page (which alone, with sign-in by passkey, may run our script): adds one.</summary>
    private static async Task AddPasskeyAsync(IPage page)
    {
        await page.WaitForAddressAsync("**/account/passkeys");
        var csp = await (await page.ReloadAsync())!.HeaderValueAsync("content-security-policy");
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe", csp);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Add a passkey" }).ClickAsync();
        Assert.Contains("Passkey added.", await page.InnerTextAsync(".notice"));
        Assert.Equal(1, await page.Locator("#passkeys li").CountAsync());
    }

    private static async Task SignInWithPasskeyAsync(IPage page)
    {
        await page.WaitForAddressAsync("**/login/passkey**");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in with a passkey" }).ClickAsync();
    }
}
