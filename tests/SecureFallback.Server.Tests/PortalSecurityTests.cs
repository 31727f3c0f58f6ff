using System.Net;
using System.Text.RegularExpressions;
using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Server.Tests;

/// <summary>The portal's HTTP surface as an attacker probes it: headers, cookies, anti-forgery and rate limits.</summary>
public sealed partial class PortalSecurityTests(ITestOutputHelper output)
{
    private const string AdminEmail = "admin@ops.test";
    private const string AdminPassword = "an admin console password";

    private static readonly string[] AnonymousPages = ["/", "/login", "/register", "/forgot-password", "/code"];
    private static readonly string[] SignedInPages = ["/inbox", "/account/security", "/admin", "/admin/queue", "/admin/policies"];

    [Fact]
    public async Task EveryResponse_CarriesTheSecurityHeaders_AndNoHstsOverPlainHttp()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        using var visitor = new PortalVisitor(server.WebAddress, viaHttpsProxy: false);

        foreach (var path in AnonymousPages.Concat(["/error/404", "/no-such-page", "/messages/1", "/portal.css"]))
        {
            using var response = await visitor.SendAsync(HttpMethod.Get, path);
            var csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.DoesNotContain("unsafe-inline", csp);
            Assert.DoesNotContain("script-src", csp); // no script at all: default-src 'none' covers it
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
            Assert.False(response.Headers.Contains("Strict-Transport-Security"), path);
        }
    }

    [Fact]
    public async Task BehindAnHttpsProxy_HstsIsSent_AndEveryCookieIsSecureHttpOnlyAndSameSiteStrict()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        await server.AddPortalUserAsync(AdminEmail, AdminPassword, "Admin");
        using var visitor = new PortalVisitor(server.WebAddress, viaHttpsProxy: true);

        using var login = await visitor.SendAsync(HttpMethod.Get, "/login");
        Assert.Equal("max-age=31536000; includeSubDomains", Assert.Single(login.Headers.GetValues("Strict-Transport-Security")));
        await visitor.SignInAsync(AdminEmail, AdminPassword);

        Assert.Contains(visitor.SetCookies, c => c.StartsWith("securefallback=", StringComparison.Ordinal));
        Assert.Contains(visitor.SetCookies, c => c.StartsWith("securefallback.antiforgery=", StringComparison.Ordinal));
        Assert.All(visitor.SetCookies, cookie =>
        {
            var attributes = cookie.ToLowerInvariant();
            Assert.Contains("; secure", attributes);
            Assert.Contains("; httponly", attributes);
            Assert.Contains("; samesite=strict", attributes);
        });
    }

    [Fact]
    public async Task EveryPostForm_CarriesAnAntiforgeryToken_AndAPostWithoutItIsRefusedWith400()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000",
        });
        await server.AddPortalUserAsync(AdminEmail, AdminPassword, "Admin");
        using var anonymous = new PortalVisitor(server.WebAddress, viaHttpsProxy: false);
        using var signedIn = new PortalVisitor(server.WebAddress, viaHttpsProxy: false);
        await signedIn.SignInAsync(AdminEmail, AdminPassword);
        await signedIn.TurnOnAuthenticatorAsync(); // the console opens only after a second step

        var formsChecked = 0;
        foreach (var (visitor, path) in AnonymousPages.Select(p => (anonymous, p)).Concat(SignedInPages.Select(p => (signedIn, p))))
        {
            using var page = await visitor.SendAsync(HttpMethod.Get, path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var html = await page.Content.ReadAsStringAsync();
            foreach (Match form in PostForm().Matches(html))
            {
                Assert.Contains("name=\"__RequestVerificationToken\"", form.Value);
                var action = ActionOf(form.Value) ?? path;
                using var forged = await visitor.SendAsync(HttpMethod.Post, action, new Dictionary<string, string> { ["email"] = "x@y.test" });
                Assert.True(forged.StatusCode == HttpStatusCode.BadRequest, $"POST {action} (form on {path}) without a token answered {(int)forged.StatusCode}");
                formsChecked++;
            }
        }

        output.WriteLine($"{formsChecked} POST forms checked");
        Assert.True(formsChecked >= 10, $"only {formsChecked} forms found");
    }

    [Fact]
    public async Task PagesThatTakeSecrets_AreRateLimitedPerClient_With429()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "5",
        });
        using var visitor = new PortalVisitor(server.WebAddress, viaHttpsProxy: false);

        foreach (var path in new[] { "/login", "/register", "/code", "/forgot-password", "/pickup/not-a-token" })
        {
            using var response = await visitor.SendAsync(HttpMethod.Get, path);
            Assert.NotEqual(HttpStatusCode.TooManyRequests, response.StatusCode);
        }

        foreach (var path in new[] { "/login", "/register", "/code", "/forgot-password", "/pickup/not-a-token", "/login/two-factor" })
        {
            using var response = await visitor.SendAsync(HttpMethod.Get, path);
            Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{path}: {(int)response.StatusCode}");
        }

        // Another client (as a proxy on this machine reports it) still gets through; the front page is not limited.
        using var other = new PortalVisitor(server.WebAddress, viaHttpsProxy: false, forwardedFor: "198.51.100.7");
        Assert.Equal(HttpStatusCode.OK, (await other.SendAsync(HttpMethod.Get, "/login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await visitor.SendAsync(HttpMethod.Get, "/")).StatusCode);
    }

    private static string? ActionOf(string form)
    {
        var action = Regex.Match(form, "^<form[^>]*action=\"([^\"]*)\"").Groups[1].Value;
        return action.Length == 0 ? null : WebUtility.HtmlDecode(action);
    }

    [GeneratedRegex("<form[^>]*method=\"post\"[^>]*>.*?</form>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex PostForm();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
