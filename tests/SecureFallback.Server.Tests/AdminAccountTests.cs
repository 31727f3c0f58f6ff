using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Pickup;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>Admins are not recipients: the portal's account paths never reach them, and the console needs a second step.</summary>
public sealed partial class AdminAccountTests
{
    private const string Admin = "admin@ops.test";
    private const string Stranger = "nobody@ops.test";
    private const string Password = "an admin console password";
    private const string NewPassword = "a password chosen by an attacker";

    [Fact]
    public async Task AdminAddress_GetsAStrangersAnswers_FromPasswordResetAndRegistration_AndNoCode()
    {
        var mail = new CapturedCodes();
        await using var server = await StartAsync(mail);
        using var visitor = new PortalVisitor(server.WebAddress);

        foreach (var (page, send, confirm) in new[] { ("/forgot-password", "Send", "Reset"), ("/register", "Send", "Confirm") })
        {
            var admin = await PostAsync(visitor, page, send, Admin);
            var stranger = await PostAsync(visitor, page, send, Stranger);
            Assert.Equal(MainOf(stranger, Stranger), MainOf(admin, Admin));
            Assert.Equal(MainOf(await PostAsync(visitor, page, confirm, Stranger), Stranger), MainOf(await PostAsync(visitor, page, confirm, Admin), Admin));
        }

        Assert.Empty(mail.Sent); // no code ever reaches the admin's mailbox, which may be read on its way
        await visitor.SignInAsync(Admin, Password); // unchanged
    }

    [Fact]
    public async Task Admin_SignedInWithAPasswordOnly_IsSentToAddASecondStep_AndOpensTheConsoleAfterTotp()
    {
        await using var server = await StartAsync(new CapturedCodes());
        using var admin = new PortalVisitor(server.WebAddress);
        await admin.SignInAsync(Admin, Password);

        foreach (var path in new[] { "/admin", "/admin/queue", "/admin/audit.csv" })
        {
            using var refused = await admin.SendAsync(HttpMethod.Get, path);
            Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
            Assert.StartsWith("/account/security", refused.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        using var security = await admin.SendAsync(HttpMethod.Get, "/account/security?admin=1");
        Assert.Contains("admin console opens only after two-step sign-in", await security.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var authenticator = await admin.TurnOnAuthenticatorAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(HttpMethod.Get, "/admin")).StatusCode);

        using var later = new PortalVisitor(server.WebAddress);
        await later.SignInAsync(Admin, Password, authenticator);
        Assert.Equal(HttpStatusCode.OK, (await later.SendAsync(HttpMethod.Get, "/admin/queue")).StatusCode);

        // The security stamp is checked at every request once the cookie is older than a second, and Identity then
        // rebuilds the session from the account: the two-step sign-in must survive that.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(HttpStatusCode.OK, (await later.SendAsync(HttpMethod.Get, "/admin/queue")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await later.SendAsync(HttpMethod.Get, "/admin")).StatusCode);
    }

    private static async Task<SecureFallbackInstance> StartAsync(CapturedCodes mail)
    {
        var server = await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string> { ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000" },
            services: s => s.AddSingleton<IAccountMail>(mail));
        await server.AddPortalUserAsync(Admin, Password, "Admin");
        return server;
    }

    /// <summary>Posts a code form's step for <paramref name="address"/> (a wrong code where one is asked); returns the page.</summary>
    private static async Task<string> PostAsync(PortalVisitor visitor, string page, string handler, string address)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, page);
        using var response = await visitor.SendAsync(HttpMethod.Post, $"{page}?handler={handler}", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["email"] = address,
            ["code"] = "AAAAA-AAAAA",
            ["password"] = NewPassword,
            ["confirm"] = NewPassword,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
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
