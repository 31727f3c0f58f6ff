using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// An admin keeps a second step: the last one (authenticator app or passkey) cannot be removed, since the session's
/// "passed a second step" would outlive it. Merely opening the security page changes nothing of the account.
/// </summary>
public sealed class AdminLastSecondStepTests
{
    private const string Admin = "admin@ops.test";
    private const string Recipient = "carol@plain.test";
    private const string Password = "a long portal password";

    [Fact]
    public async Task Admin_TurningOffTheirOnlyAuthenticator_IsRefused()
    {
        await using var server = await StartAsync();
        using var admin = new PortalVisitor(server.WebAddress);
        await admin.SignInAsync(Admin, Password);
        var authenticator = await admin.TurnOnAuthenticatorAsync();

        var answer = await PostAsync(admin, "/account/security", "Disable", new() { ["code"] = authenticator.ComputeTotp(DateTime.UtcNow.AddSeconds(30)) });
        Assert.DoesNotContain("Two-step sign-in is off.", answer, StringComparison.Ordinal);
        Assert.Contains("An admin account must keep", answer, StringComparison.Ordinal);
        Assert.True(await WithUserAsync(server, Admin, (users, user) => users.GetTwoFactorEnabledAsync(user)));
    }

    [Fact]
    public async Task Admin_RemovingTheirLastPasskey_IsRefused()
    {
        await using var server = await StartAsync();
        using var admin = new PortalVisitor(server.WebAddress);
        await admin.SignInAsync(Admin, Password);
        var authenticator = await admin.TurnOnAuthenticatorAsync();
        var passkey = await WithUserAsync(server, Admin, async (users, user) =>
        {
            var id = RandomNumberGenerator.GetBytes(32);
            Assert.True((await users.AddOrUpdatePasskeyAsync(user, new UserPasskeyInfo(id, RandomNumberGenerator.GetBytes(77), DateTimeOffset.UtcNow, 0, ["internal"], true, false, false, [1], [1]))).Succeeded);
            return id;
        });
        Assert.Contains("Two-step sign-in is off.", await PostAsync(admin, "/account/security", "Disable", new() { ["code"] = authenticator.ComputeTotp(DateTime.UtcNow.AddSeconds(30)) }));

        var answer = await PostAsync(admin, "/account/passkeys", "Remove", new() { ["id"] = WebEncoders.Base64UrlEncode(passkey) });
        Assert.DoesNotContain("Passkey removed.", answer, StringComparison.Ordinal);
        Assert.Contains("An admin account must keep", answer, StringComparison.Ordinal);
        Assert.Equal(1, await WithUserAsync(server, Admin, async (users, user) => (await users.GetPasskeysAsync(user)).Count));
    }

    [Fact]
    public async Task OpeningTheSecurityPage_WithoutAnAuthenticatorKey_KeepsTheSecurityStamp_AndOtherSessions()
    {
        await using var server = await StartAsync();
        using var elsewhere = new PortalVisitor(server.WebAddress);
        await elsewhere.SignInAsync(Recipient, Password);
        var stamp = await WithUserAsync(server, Recipient, (users, user) => users.GetSecurityStampAsync(user));

        using var visitor = new PortalVisitor(server.WebAddress);
        await visitor.SignInAsync(Recipient, Password);
        using var page = await visitor.SendAsync(HttpMethod.Get, "/account/security");
        Assert.Contains("setup-key", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(stamp, await WithUserAsync(server, Recipient, (users, user) => users.GetSecurityStampAsync(user)));
        using var inbox = await elsewhere.SendAsync(HttpMethod.Get, "/inbox");
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode);
    }

    private static async Task<SecureFallbackInstance> StartAsync()
    {
        var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string> { ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000" });
        await server.AddPortalUserAsync(Admin, Password, "Admin");
        await server.AddPortalUserAsync(Recipient, Password);
        return server;
    }

    private static async Task<string> PostAsync(PortalVisitor visitor, string page, string handler, Dictionary<string, string> fields)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, page);
        fields["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync());
        using var response = await visitor.SendAsync(HttpMethod.Post, $"{page}?handler={handler}", fields);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<T> WithUserAsync<T>(SecureFallbackInstance server, string address, Func<UserManager<PortalUser>, PortalUser, Task<T>> read)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        return await read(users, await users.FindByEmailAsync(address) ?? throw new InvalidOperationException(address));
    }
}
