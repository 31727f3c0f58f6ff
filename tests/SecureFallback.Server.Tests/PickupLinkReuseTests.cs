using System.Net;
using System.Text.RegularExpressions;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// After its first use created the account, the notice's link means "sign in and open this message" for its owner,
/// and nothing more for anyone else: it never signs anybody in by itself.
/// </summary>
public sealed partial class PickupLinkReuseTests
{
    private const string Password = "a long portal password";

    [Fact]
    public async Task UsedLink_OpensTheMessageForItsSignedInOwner()
    {
        await using var held = await HeldAsync();
        using var owner = new PortalVisitor(held.Server.WebAddress);
        await RegisterAsync(owner, held.CarolToken);

        using var again = await owner.SendAsync(HttpMethod.Get, $"/pickup/{held.CarolToken}");

        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        var location = again.Headers.Location!.OriginalString;
        Assert.Matches("^/messages/[0-9a-f-]{36}$", location);
        using var message = await owner.SendAsync(HttpMethod.Get, location);
        Assert.Contains("carol-marker-body", await message.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UsedLink_SignedOut_LeadsToSignIn_ThenStraightToTheMessage()
    {
        await using var held = await HeldAsync();
        using (var first = new PortalVisitor(held.Server.WebAddress))
        {
            await RegisterAsync(first, held.CarolToken);
        }

        using var owner = new PortalVisitor(held.Server.WebAddress);
        using var again = await owner.SendAsync(HttpMethod.Get, $"/pickup/{held.CarolToken}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode); // "Sign in", or "I did not create this account"
        var login = WebUtility.HtmlDecode(SignInLink().Match(await again.Content.ReadAsStringAsync()).Groups[1].Value);
        Assert.StartsWith("/login?", login);
        using (var inbox = await owner.SendAsync(HttpMethod.Get, "/inbox"))
        {
            Assert.Equal(HttpStatusCode.Redirect, inbox.StatusCode); // the link alone signed nobody in
        }

        using var form = await owner.SendAsync(HttpMethod.Get, login);
        var html = await form.Content.ReadAsStringAsync();
        using var signedIn = await owner.SendAsync(HttpMethod.Post, login, new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(html),
            ["returnUrl"] = WebUtility.HtmlDecode(ReturnUrlField().Match(html).Groups[1].Value),
            ["email"] = "carol@plain.test",
            ["password"] = Password,
        });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var location = signedIn.Headers.Location!.OriginalString;
        Assert.Matches("^/messages/[0-9a-f-]{36}$", location);
        using var message = await owner.SendAsync(HttpMethod.Get, location);
        Assert.Contains("carol-marker-body", await message.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UsedLink_ForAnotherSignedInRecipient_LooksExactlyLikeAnUnknownLink()
    {
        await using var held = await HeldAsync();
        using (var first = new PortalVisitor(held.Server.WebAddress))
        {
            await RegisterAsync(first, held.CarolToken);
        }

        using var dave = new PortalVisitor(held.Server.WebAddress);
        await RegisterAsync(dave, held.DaveToken);
        using var stranger = new PortalVisitor(held.Server.WebAddress);

        using var daveOpens = await dave.SendAsync(HttpMethod.Get, $"/pickup/{held.CarolToken}");
        using var strangerOpens = await stranger.SendAsync(HttpMethod.Get, $"/pickup/{new string('A', 43)}");

        Assert.Equal(strangerOpens.StatusCode, daveOpens.StatusCode);
        var main = MainOf(await daveOpens.Content.ReadAsStringAsync());
        Assert.Contains("cannot be used", main);
        Assert.Equal(MainOf(await strangerOpens.Content.ReadAsStringAsync()), main);
        Assert.DoesNotContain("carol", main);
    }

    private static async Task RegisterAsync(PortalVisitor visitor, string token)
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

    private static async Task<Held> HeldAsync()
    {
        var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "For Carol", "carol-marker-body");
        await server.SendAsync("alice@sender.test", ["dave@plain.test"], "For Dave", "dave-marker-body");
        var notices = (await plain.WaitForMessagesAsync(2)).Select(n => n.Parse()).ToList();
        string TokenFor(string address) =>
            TokenInLink().Match(notices.Single(n => n.To.Mailboxes.Single().Address == address).TextBody!).Groups[1].Value;
        return new Held(plain, server, TokenFor("carol@plain.test"), TokenFor("dave@plain.test"));
    }

    private static string MainOf(string html) => Regex.Match(html, "<main[^>]*>(.*)</main>", RegexOptions.Singleline).Groups[1].Value;

    private sealed record Held(ScriptedSmtpReceiver Plain, SecureFallbackInstance Server, string CarolToken, string DaveToken) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Plain.DisposeAsync();
        }
    }

    [GeneratedRegex(@"/pickup/([A-Za-z0-9_-]{43})")]
    private static partial Regex TokenInLink();

    [GeneratedRegex("<a href=\"(/login\\?[^\"]*)\">Sign in</a>")]
    private static partial Regex SignInLink();

    [GeneratedRegex("name=\"returnUrl\" value=\"([^\"]*)\"")]
    private static partial Regex ReturnUrlField();
}
