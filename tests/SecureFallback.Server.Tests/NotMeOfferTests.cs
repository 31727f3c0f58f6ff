using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// "This was not me" is offered, and honoured, only where it makes sense: for a non-admin account created after the
/// notice's grant was issued (someone registered in answer to this very notice). An account the owner made long ago,
/// or an admin account, is not locked by whoever holds a live link; the reference code leads to the same choice.
/// </summary>
public sealed partial class NotMeOfferTests
{
    private const string Carol = "carol@plain.test";
    private const string Password = "a long portal password";
    private const string NotMe = "I did not create this account";
    private const string ReportToAdmins = "If you did not create it";

    [Fact]
    public async Task AccountOlderThanTheNotice_GetsNoNotMeOffer_AndThePostChangesNothing()
    {
        await using var held = await HeldAsync(before: server => server.AddPortalUserAsync(Carol, Password));
        await AssertNoOfferAndNoLockAsync(held);
    }

    [Fact]
    public async Task AdminAccount_GetsNoNotMeOffer_AndThePostChangesNothing()
    {
        await using var held = await HeldAsync();
        await held.Server.AddPortalUserAsync(Carol, Password, "Admin"); // made after the notice, but an admin
        await AssertNoOfferAndNoLockAsync(held);
    }

    [Fact]
    public async Task ReferenceCode_OfAnAddressWithAnAccountMadeForThisNotice_OffersSignInAndNotMe_WhichLocksIt()
    {
        await using var held = await HeldAsync();
        using var attacker = new PortalVisitor(held.Server.WebAddress);
        await RegisterThroughLinkAsync(attacker, held.Token);

        using var owner = new PortalVisitor(held.Server.WebAddress);
        var page = await PostAsync(owner, "/code", "Check", new() { ["email"] = Carol, ["code"] = held.Reference });
        Assert.Contains("href=\"/login", page);
        Assert.Contains(NotMe, page);
        var locked = await PostAsync(owner, "/code", "NotMe", new() { ["email"] = Carol, ["code"] = held.Reference });
        Assert.Contains("This account is locked", locked);
        Assert.NotNull((await UserAsync(held.Server)).DisownedAt);
        await Assert.ThrowsAsync<InvalidOperationException>(() => new PortalVisitor(held.Server.WebAddress).SignInAsync(Carol, Password));
    }

    [Fact]
    public async Task ReferenceCode_OfAnOlderAccount_OffersOnlySignIn_AndItsNotMePostChangesNothing()
    {
        await using var held = await HeldAsync(before: server => server.AddPortalUserAsync(Carol, Password));
        using var visitor = new PortalVisitor(held.Server.WebAddress);

        var page = await PostAsync(visitor, "/code", "Check", new() { ["email"] = Carol, ["code"] = held.Reference });
        Assert.Contains("href=\"/login", page);
        Assert.DoesNotContain(NotMe, page);
        Assert.Contains(ReportToAdmins, page); // an older account is not locked by a link, but can still be reported
        var answer = await PostAsync(visitor, "/code", "NotMe", new() { ["email"] = Carol, ["code"] = held.Reference });
        Assert.DoesNotContain("This account is locked", answer);
        Assert.Null((await UserAsync(held.Server)).DisownedAt);
        await visitor.SignInAsync(Carol, Password);
    }

    private static async Task AssertNoOfferAndNoLockAsync(Held held)
    {
        using var visitor = new PortalVisitor(held.Server.WebAddress);
        using var offer = await visitor.SendAsync(HttpMethod.Get, $"/pickup/{held.Token}");
        var html = await offer.Content.ReadAsStringAsync();
        Assert.Contains("href=\"/login?ReturnUrl=%2Fmessages%2F", html);
        Assert.DoesNotContain(NotMe, html);

        using var anyForm = await visitor.SendAsync(HttpMethod.Get, "/login"); // the page has no form: a token from another
        using var posted = await visitor.SendAsync(HttpMethod.Post, $"/pickup/{held.Token}?handler=NotMe", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await anyForm.Content.ReadAsStringAsync()),
        });
        var answer = await posted.Content.ReadAsStringAsync();
        Assert.Contains("This link cannot be used", Regex.Match(answer, "<main.*</main>", RegexOptions.Singleline).Value); // the same page as an unknown link
        Assert.DoesNotContain("This account is locked", answer);
        var user = await UserAsync(held.Server);
        Assert.Null(user.DisownedAt);
        Assert.Null(user.LockoutEnd);
        await visitor.SignInAsync(Carol, Password);
    }

    private static async Task<PortalUser> UserAsync(SecureFallbackInstance server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync(Carol))!;
    }

    private static async Task RegisterThroughLinkAsync(PortalVisitor visitor, string token)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, $"/pickup/{token}");
        using var created = await visitor.SendAsync(HttpMethod.Post, $"/pickup/{token}", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["password"] = Password,
            ["confirm"] = Password,
        });
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
    }

    private static async Task<string> PostAsync(PortalVisitor visitor, string page, string handler, Dictionary<string, string> fields)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, page);
        fields["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync());
        using var response = await visitor.SendAsync(HttpMethod.Post, $"{page}?handler={handler}", fields);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<Held> HeldAsync(Func<SecureFallbackInstance, Task>? before = null)
    {
        var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = sender.Route,
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000",
        });
        if (before is not null)
        {
            await before(server);
            await Task.Delay(TimeSpan.FromMilliseconds(20)); // the account is strictly older than the grant
        }

        await server.SendAsync("alice@sender.test", [Carol], "For Carol", "held body");
        var notice = (await plain.WaitForMessagesAsync(1)).Single().Parse().TextBody!;
        return new Held(plain, sender, server, TokenInLink().Match(notice).Groups[1].Value, ReferenceIn().Match(notice).Value);
    }

    private sealed record Held(ScriptedSmtpReceiver Plain, TlsSmtpReceiver Sender, SecureFallbackInstance Server, string Token, string Reference) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Sender.DisposeAsync();
            await Plain.DisposeAsync();
        }
    }

    [GeneratedRegex(@"/pickup/([A-Za-z0-9_-]{43})")]
    private static partial Regex TokenInLink();

    [GeneratedRegex(@"\b[A-HJKMNP-Z2-9]{3}-[A-HJKMNP-Z2-9]{3}-[A-HJKMNP-Z2-9]{3}\b")]
    private static partial Regex ReferenceIn();
}
