using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// A passkey is a second step like an authenticator app: the password alone never opens an account that has one, and a
/// session that did not pass a second step cannot add, remove or replace one.
/// </summary>
public sealed partial class PasskeySecondStepTests
{
    private const string Admin = "admin@ops.test";
    private const string Recipient = "carol@plain.test";
    private const string Password = "a long portal password";
    private const string NewPassword = "another long portal password";
    private const string SignsInWithAPasskey = "This account signs in with a passkey";

    [Fact]
    public async Task AccountWithOnlyAPasskey_RightPassword_GivesNoSession_ButLeadsToPasskeySignIn_AndNothingLeaksBefore()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        await AddPasskeyAsync(server, Admin);
        await AddPasskeyAsync(server, Recipient);
        using var visitor = new PortalVisitor(server.WebAddress);

        foreach (var address in new[] { Admin, Recipient })
        {
            using var signIn = await PostLoginAsync(visitor, address, Password);
            var html = await signIn.Content.ReadAsStringAsync();
            Assert.True(signIn.StatusCode == HttpStatusCode.OK, $"{address}: {(int)signIn.StatusCode} {signIn.Headers.Location}");
            Assert.Contains(SignsInWithAPasskey, html, StringComparison.Ordinal);
            Assert.Contains("href=\"/login/passkey", html, StringComparison.Ordinal);
            foreach (var path in new[] { "/inbox", "/account/passkeys", "/account/security", "/admin" })
            {
                using var closed = await visitor.SendAsync(HttpMethod.Get, path);
                Assert.Equal(HttpStatusCode.Redirect, closed.StatusCode);
                Assert.StartsWith("/login", closed.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
            }
        }

        // A wrong password says exactly what it says for an address without an account: the passkey is not betrayed.
        var wrong = MainOf(await (await PostLoginAsync(visitor, Admin, "not the password at all")).Content.ReadAsStringAsync(), Admin);
        var unknown = MainOf(await (await PostLoginAsync(visitor, "nobody@ops.test", "not the password at all")).Content.ReadAsStringAsync(), "nobody@ops.test");
        Assert.Equal(unknown, wrong);
        Assert.DoesNotContain(SignsInWithAPasskey, wrong, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PasswordOnlySession_OfAnAccountThatNowHasAPasskey_CannotRemoveItNorAddAStep_NorOpenTheConsole()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        using var intruder = new PortalVisitor(server.WebAddress);
        await intruder.SignInAsync(Admin, Password); // before the owner added a passkey elsewhere
        var passkey = await AddPasskeyAsync(server, Admin);

        using var passkeys = await intruder.SendAsync(HttpMethod.Get, "/account/passkeys");
        var html = await passkeys.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, passkeys.StatusCode);
        using var removed = await intruder.SendAsync(HttpMethod.Post, "/account/passkeys?handler=Remove", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(html),
            ["id"] = WebEncoders.Base64UrlEncode(passkey),
        });
        Assert.DoesNotContain("Passkey removed.", await removed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await PasskeyCountAsync(server, Admin));
        using var options = await intruder.SendAsync(HttpMethod.Post, "/account/passkeys?handler=Options", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(html),
        });
        Assert.NotEqual(HttpStatusCode.OK, options.StatusCode);

        // An authenticator app of the intruder's own, with a right code for the account's key, is not turned on either.
        using var security = await intruder.SendAsync(HttpMethod.Get, "/account/security");
        var page = await security.Content.ReadAsStringAsync();
        Assert.Contains("admin-second-step", page, StringComparison.Ordinal);
        Assert.DoesNotContain("setup-key", page, StringComparison.Ordinal);
        var key = await AuthenticatorKeyAsync(server, Admin);
        using var enabled = await intruder.SendAsync(HttpMethod.Post, "/account/security?handler=Enable", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(page),
            ["code"] = new Totp(Base32Encoding.ToBytes(key)).ComputeTotp(),
        });
        Assert.DoesNotContain("Two-step sign-in is on.", await enabled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await TwoFactorEnabledAsync(server, Admin));

        using var console = await intruder.SendAsync(HttpMethod.Get, "/admin");
        Assert.Equal(HttpStatusCode.Redirect, console.StatusCode);
    }

    [Fact]
    public async Task PasswordReset_KeepsTheSecondStep_TheNewPasswordAloneStillOpensNothing()
    {
        var (server, mail) = await StartAsync();
        await using var _s = server;
        const string withTotp = "dave@plain.test";
        await server.AddPortalUserAsync(withTotp, Password);
        using var owner = new PortalVisitor(server.WebAddress);
        await owner.SignInAsync(withTotp, Password);
        var authenticator = await owner.TurnOnAuthenticatorAsync();
        await AddPasskeyAsync(server, Recipient);

        using var visitor = new PortalVisitor(server.WebAddress);
        foreach (var address in new[] { withTotp, Recipient })
        {
            await ResetPasswordAsync(visitor, mail, address);
            using var closed = await visitor.SendAsync(HttpMethod.Get, "/inbox");
            Assert.Equal(HttpStatusCode.Redirect, closed.StatusCode); // the reset signs nobody in
        }

        using (var signIn = await PostLoginAsync(visitor, withTotp, NewPassword))
        {
            Assert.Equal("/login/two-factor", signIn.Headers.Location?.OriginalString.Split('?')[0]);
            Assert.Equal(HttpStatusCode.Redirect, (await visitor.SendAsync(HttpMethod.Get, "/inbox")).StatusCode);
        }

        using (var signIn = await PostLoginAsync(visitor, Recipient, NewPassword))
        {
            Assert.Contains(SignsInWithAPasskey, await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Redirect, (await visitor.SendAsync(HttpMethod.Get, "/inbox")).StatusCode);
        }

        using var later = new PortalVisitor(server.WebAddress);
        await later.SignInAsync(withTotp, NewPassword, authenticator);
        Assert.Equal(HttpStatusCode.OK, (await later.SendAsync(HttpMethod.Get, "/inbox")).StatusCode);
    }

    private static async Task<(SecureFallbackInstance Server, CapturedCodes Mail)> StartAsync()
    {
        var mail = new CapturedCodes();
        var server = await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string> { ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000" },
            services: s => s.AddSingleton<IAccountMail>(mail));
        await server.AddPortalUserAsync(Admin, Password, "Admin");
        await server.AddPortalUserAsync(Recipient, Password);
        return (server, mail);
    }

    /// <summary>A passkey as Identity keeps one after an attestation (its owner added it on another device); returns its id.</summary>
    private static async Task<byte[]> AddPasskeyAsync(SecureFallbackInstance server, string address)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByEmailAsync(address) ?? throw new InvalidOperationException(address);
        var id = RandomNumberGenerator.GetBytes(32);
        var passkey = new UserPasskeyInfo(id, RandomNumberGenerator.GetBytes(77), DateTimeOffset.UtcNow, 0, ["internal"], true, false, false, [1], [1]);
        var result = await users.AddOrUpdatePasskeyAsync(user, passkey);
        Assert.True(result.Succeeded);
        return id;
    }

    private static async Task<T> WithUserAsync<T>(SecureFallbackInstance server, string address, Func<UserManager<PortalUser>, PortalUser, Task<T>> read)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        return await read(users, await users.FindByEmailAsync(address) ?? throw new InvalidOperationException(address));
    }

    private static Task<int> PasskeyCountAsync(SecureFallbackInstance server, string address) =>
        WithUserAsync(server, address, async (users, user) => (await users.GetPasskeysAsync(user)).Count);

    private static Task<bool> TwoFactorEnabledAsync(SecureFallbackInstance server, string address) =>
        WithUserAsync(server, address, (users, user) => users.GetTwoFactorEnabledAsync(user));

    /// <summary>The account's authenticator key, made now if it has none (as the setup page would show it).</summary>
    private static Task<string> AuthenticatorKeyAsync(SecureFallbackInstance server, string address) =>
        WithUserAsync(server, address, async (users, user) =>
        {
            if (string.IsNullOrEmpty(await users.GetAuthenticatorKeyAsync(user)))
            {
                await users.ResetAuthenticatorKeyAsync(user);
            }

            return (await users.GetAuthenticatorKeyAsync(user))!;
        });

    private static async Task<HttpResponseMessage> PostLoginAsync(PortalVisitor visitor, string address, string password)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, "/login");
        return await visitor.SendAsync(HttpMethod.Post, "/login", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["email"] = address,
            ["password"] = password,
        });
    }

    /// <summary>Asks for a reset code at /forgot-password and sets <see cref="NewPassword"/> with it.</summary>
    private static async Task ResetPasswordAsync(PortalVisitor visitor, CapturedCodes mail, string address)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, "/forgot-password");
        var token = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync());
        using var sent = await visitor.SendAsync(HttpMethod.Post, "/forgot-password?handler=Send", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["email"] = address,
        });
        var code = mail.Sent.Last(m => m.Address == address).Code;
        using var reset = await visitor.SendAsync(HttpMethod.Post, "/forgot-password?handler=Reset", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await sent.Content.ReadAsStringAsync()),
            ["email"] = address,
            ["code"] = code,
            ["password"] = NewPassword,
            ["confirm"] = NewPassword,
        });
        Assert.DoesNotContain("class=\"error\"", await reset.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static string MainOf(string html, string address) =>
        AntiforgeryValue().Replace(Regex.Match(html, "<main.*</main>", RegexOptions.Singleline).Value, "").Replace(address, "ADDRESS", StringComparison.Ordinal);

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"[^\"]+\"")]
    private static partial Regex AntiforgeryValue();

    private sealed class CapturedCodes : IAccountMail
    {
        public ConcurrentQueue<(string Address, AccountMailPurpose Purpose, string Code)> Sent { get; } = new();

        public Task SendCodeAsync(string address, AccountMailPurpose purpose, string code, TimeSpan validFor, CancellationToken cancellationToken)
        {
            Sent.Enqueue((address, purpose, code));
            return Task.CompletedTask;
        }
    }
}
