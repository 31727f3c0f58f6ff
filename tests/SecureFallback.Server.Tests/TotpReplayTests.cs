using System.Net;
using System.Text.RegularExpressions;
using OtpNet;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>An authenticator code, once accepted, is spent: a second use within its window is refused.</summary>
public sealed partial class TotpReplayTests
{
    private const string Address = "carol@plain.test";
    private const string Password = "a long portal password";

    [Fact]
    public async Task TheSameTotpCode_UsedTwice_IsRefusedTheSecondTime()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000",
        });
        await server.AddPortalUserAsync(Address, Password);
        using var owner = new PortalVisitor(server.WebAddress);
        await owner.SignInAsync(Address, Password);
        using var security = await owner.SendAsync(HttpMethod.Get, "/account/security");
        var html = await security.Content.ReadAsStringAsync();
        var key = SetupKey().Match(html).Groups[1].Value.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        var authenticator = new Totp(Base32Encoding.ToBytes(key));

        // Turning it on spends the current code: turning it off again with that same code is refused.
        var now = authenticator.ComputeTotp(DateTime.UtcNow);
        Assert.Contains("Two-step sign-in is on.", await PostAsync(owner, "/account/security", "/account/security?handler=Enable", now));
        Assert.Contains("Two-step sign-in stays on.", await PostAsync(owner, "/account/security", "/account/security?handler=Disable", now));

        // The next step's code signs in once; an eavesdropper replaying it right after is refused.
        var next = authenticator.ComputeTotp(DateTime.UtcNow.AddSeconds(30));
        using var first = new PortalVisitor(server.WebAddress);
        await first.SignInAsync(Address, Password);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInStepTwoAsync(first, next)).StatusCode);
        using var replay = new PortalVisitor(server.WebAddress);
        await replay.SignInAsync(Address, Password);
        using var refused = await SignInStepTwoAsync(replay, next);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("That code is not right", await refused.Content.ReadAsStringAsync());
    }

    private static async Task<string> PostAsync(PortalVisitor visitor, string page, string action, string code)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, page);
        using var response = await visitor.SendAsync(HttpMethod.Post, action, new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["code"] = code,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<HttpResponseMessage> SignInStepTwoAsync(PortalVisitor visitor, string code)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, "/login/two-factor");
        return await visitor.SendAsync(HttpMethod.Post, "/login/two-factor", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["code"] = code,
        });
    }

    [GeneratedRegex("<code id=\"setup-key\">([^<]+)</code>")]
    private static partial Regex SetupKey();
}
