using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SecureFallback.Core.Pickup;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>Mailed account codes (reset, registration) as an attacker guesses them over HTTP.</summary>
public sealed partial class AccountCodeTests
{
    private const string Address = "carol@plain.test";
    private const string Password = "a long portal password";
    private const string NewPassword = "another long portal password";

    [Fact]
    public async Task ResetCode_HasAtLeast40Bits_InGroupsOfAnUnambiguousAlphabet_AndLives15Minutes()
    {
        var (server, mail) = await StartAsync();
        await using var _ = server;
        using var visitor = new PortalVisitor(server.WebAddress);

        await RequestResetAsync(visitor, Address);

        var sent = Assert.Single(mail.Sent);
        Assert.Matches("^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{5}-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{5}$", sent.Code);
        Assert.Equal(TimeSpan.FromMinutes(15), sent.ValidFor);
    }

    [Fact]
    public async Task ResetCode_TypedInLowerCaseWithSpaces_IsAccepted_ButOnlyOnce()
    {
        var (server, mail) = await StartAsync();
        await using var _ = server;
        using var visitor = new PortalVisitor(server.WebAddress);
        await RequestResetAsync(visitor, Address);
        var code = mail.Sent.Single().Code;

        Assert.Null(await ResetAsync(visitor, Address, " " + code.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal), NewPassword));
        Assert.NotNull(await ResetAsync(visitor, Address, code, "a third long portal password"));
        await visitor.SignInAsync(Address, NewPassword);
    }

    [Fact]
    public async Task ResetCode_AfterThreeWrongTries_IsDead_EvenTheRightOne()
    {
        var (server, mail) = await StartAsync();
        await using var _ = server;
        using var visitor = new PortalVisitor(server.WebAddress);
        await RequestResetAsync(visitor, Address);

        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(await ResetAsync(visitor, Address, "AAAAA-AAAAA", NewPassword));
        }

        Assert.NotNull(await ResetAsync(visitor, Address, mail.Sent.Single().Code, NewPassword));
        await visitor.SignInAsync(Address, Password); // unchanged
    }

    [Fact]
    public async Task ResetCode_IsGoodFor15Minutes_AndRefusedAfter()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (server, mail) = await StartAsync(clock);
        await using var _ = server;
        using var visitor = new PortalVisitor(server.WebAddress);

        await RequestResetAsync(visitor, Address);
        clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Null(await ResetAsync(visitor, Address, mail.Sent.Last().Code, NewPassword));

        await RequestResetAsync(visitor, Address);
        Assert.Equal(2, mail.Sent.Count);
        clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        Assert.NotNull(await ResetAsync(visitor, Address, mail.Sent.Last().Code, Password));
    }

    [Fact]
    public async Task ASecondCode_WithinAMinute_IsNotMailed_AndThePageSaysSo()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (server, mail) = await StartAsync(clock);
        await using var _ = server;
        using var visitor = new PortalVisitor(server.WebAddress);

        var page = await RequestResetAsync(visitor, Address);
        await RequestResetAsync(visitor, Address);
        Assert.Single(mail.Sent);
        Assert.Contains("at most once a minute", page, StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromSeconds(61));
        await RequestResetAsync(visitor, Address);
        Assert.Equal(2, mail.Sent.Count);
    }

    [Fact]
    public async Task WrongCodes_DoNotLockThePasswordSignIn()
    {
        var (server, mail) = await StartAsync();
        await using var _ = server;
        using var visitor = new PortalVisitor(server.WebAddress);
        await RequestResetAsync(visitor, Address);

        for (var i = 0; i < 6; i++)
        {
            Assert.NotNull(await ResetAsync(visitor, Address, "AAAAA-AAAAA", NewPassword));
        }

        await visitor.SignInAsync(Address, Password);
    }

    [Fact]
    public async Task KnownAndUnknownAddresses_GetTheSameReplies_FromResetAndSignIn()
    {
        var (server, mail) = await StartAsync();
        await using var _ = server;
        using var visitor = new PortalVisitor(server.WebAddress);
        const string unknown = "nobody@plain.test";

        var known = (await RequestResetAsync(visitor, Address)).Replace(Address, "ADDRESS", StringComparison.Ordinal);
        var stranger = (await RequestResetAsync(visitor, unknown)).Replace(unknown, "ADDRESS", StringComparison.Ordinal);
        Assert.Equal(MainOf(known), MainOf(stranger));
        Assert.Single(mail.Sent);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(await ResetAsync(visitor, Address, "AAAAA-AAAAA", NewPassword), await ResetAsync(visitor, unknown, "AAAAA-AAAAA", NewPassword));
        }

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(await SignInErrorAsync(visitor, unknown), await SignInErrorAsync(visitor, Address));
        }
    }

    [Fact]
    public async Task RegistrationCode_HasTheSameShape_AndDiesAfterThreeWrongTries()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var (server, mail) = await StartAsync(routes: new() { ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route });
        await using var _ = server;
        await server.SendAsync("alice@sender.test", ["dave@plain.test"], "Contract draft", "Clause 7 stays as agreed.");
        await plain.WaitForMessagesAsync(1); // the pickup notice: the message is held
        using var visitor = new PortalVisitor(server.WebAddress);

        await PostAsync(visitor, "/register", "Send", new() { ["email"] = "dave@plain.test" });
        var sent = Assert.Single(mail.Sent);
        Assert.Equal(AccountMailPurpose.Registration, sent.Purpose);
        Assert.Matches("^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{5}-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{5}$", sent.Code);

        var confirm = new Dictionary<string, string> { ["email"] = "dave@plain.test", ["code"] = "AAAAA-AAAAA", ["password"] = Password, ["confirm"] = Password };
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await PostAsync(visitor, "/register", "Confirm", confirm)).StatusCode);
        }

        confirm["code"] = sent.Code;
        using var dead = await PostAsync(visitor, "/register", "Confirm", confirm);
        Assert.Equal(HttpStatusCode.OK, dead.StatusCode);
        Assert.NotNull(ErrorIn(await dead.Content.ReadAsStringAsync()));
    }

    private static async Task<HttpResponseMessage> PostAsync(PortalVisitor visitor, string page, string handler, Dictionary<string, string> fields)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, page);
        fields["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync());
        return await visitor.SendAsync(HttpMethod.Post, $"{page}?handler={handler}", fields);
    }

    private static async Task<(SecureFallbackInstance Server, CapturedCodes Mail)> StartAsync(TimeProvider? time = null, Dictionary<string, string>? routes = null)
    {
        var mail = new CapturedCodes();
        var settings = new Dictionary<string, string>(routes ?? []) { ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000" };
        var server = await SecureFallbackInstance.StartAsync(
            settings,
            time: time,
            services: s => s.AddSingleton<IAccountMail>(mail));
        await server.AddPortalUserAsync(Address, Password);
        return (server, mail);
    }

    /// <summary>Asks for a reset code; returns the page's HTML.</summary>
    private static async Task<string> RequestResetAsync(PortalVisitor visitor, string address)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, "/forgot-password");
        using var response = await visitor.SendAsync(HttpMethod.Post, "/forgot-password?handler=Send", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["email"] = address,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Sends a reset code with a new password; the error shown, or null when the password was changed.</summary>
    private static async Task<string?> ResetAsync(PortalVisitor visitor, string address, string code, string password)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, "/forgot-password");
        using var response = await visitor.SendAsync(HttpMethod.Post, "/forgot-password?handler=Reset", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["email"] = address,
            ["code"] = code,
            ["password"] = password,
            ["confirm"] = password,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        var error = ErrorIn(html);
        Assert.True(error is not null || html.Contains("Your password was changed", StringComparison.Ordinal));
        return error;
    }

    private static async Task<string?> SignInErrorAsync(PortalVisitor visitor, string address)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, "/login");
        using var response = await visitor.SendAsync(HttpMethod.Post, "/login", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["email"] = address,
            ["password"] = "a wrong portal password",
        });
        return ErrorIn(await response.Content.ReadAsStringAsync());
    }

    private static string? ErrorIn(string html) => Error().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;

    private static string MainOf(string html) => AntiforgeryValue().Replace(Regex.Match(html, "<main.*</main>", RegexOptions.Singleline).Value, "");

    [GeneratedRegex("<p class=\"error\">([^<]*)</p>")]
    private static partial Regex Error();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"[^\"]+\"")]
    private static partial Regex AntiforgeryValue();

    private sealed class CapturedCodes : IAccountMail
    {
        public ConcurrentQueue<(string Address, AccountMailPurpose Purpose, string Code, TimeSpan ValidFor)> Sent { get; } = new();

        public Task SendCodeAsync(string address, AccountMailPurpose purpose, string code, TimeSpan validFor, CancellationToken cancellationToken)
        {
            Sent.Enqueue((address, purpose, code, validFor));
            return Task.CompletedTask;
        }
    }
}
