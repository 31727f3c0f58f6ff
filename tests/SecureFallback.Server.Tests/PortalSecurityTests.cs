using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>The portal's HTTP surface as an attacker probes it: headers, cookies, anti-forgery and rate limits.</summary>
public sealed partial class PortalSecurityTests
{
    private const string AdminEmail = "admin@ops.test";
    private const string AdminPassword = "an admin console password";

    private static readonly string[] AnonymousPages = ["/", "/login", "/register", "/forgot-password", "/code"];
    private static readonly string[] SignedInPages = ["/inbox", "/account/security", "/admin", "/admin/queue", "/admin/policies"];

    [Fact]
    public async Task EveryResponse_CarriesTheSecurityHeaders_AndNoHstsOverPlainHttp()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        using var visitor = new Visitor(server.WebAddress, viaHttpsProxy: false);

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
        await CreateAdminAsync(server);
        using var visitor = new Visitor(server.WebAddress, viaHttpsProxy: true);

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
        await CreateAdminAsync(server);
        using var anonymous = new Visitor(server.WebAddress, viaHttpsProxy: false);
        using var signedIn = new Visitor(server.WebAddress, viaHttpsProxy: false);
        await signedIn.SignInAsync(AdminEmail, AdminPassword);

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

        Assert.True(formsChecked >= 10, $"only {formsChecked} forms found");
    }

    [Fact]
    public async Task PagesThatTakeSecrets_AreRateLimitedPerClient_With429()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "5",
        });
        using var visitor = new Visitor(server.WebAddress, viaHttpsProxy: false);

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
        using var other = new Visitor(server.WebAddress, viaHttpsProxy: false, forwardedFor: "198.51.100.7");
        Assert.Equal(HttpStatusCode.OK, (await other.SendAsync(HttpMethod.Get, "/login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await visitor.SendAsync(HttpMethod.Get, "/")).StatusCode);
    }

    private static async Task CreateAdminAsync(SecureFallbackInstance server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        await roles.CreateAsync(new IdentityRole("Admin"));
        var user = new PortalUser { UserName = AdminEmail, Email = AdminEmail, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
        Assert.True((await users.CreateAsync(user, AdminPassword)).Succeeded);
        await users.AddToRoleAsync(user, "Admin");
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

    /// <summary>A browser-like client that keeps cookies itself (so Secure cookies still travel in a test over http).</summary>
    private sealed class Visitor(Uri address, bool viaHttpsProxy, string? forwardedFor = null) : IDisposable
    {
        private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = address };
        private readonly Dictionary<string, string> _cookies = [];

        public List<string> SetCookies { get; } = [];

        public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Dictionary<string, string>? form = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (viaHttpsProxy)
            {
                request.Headers.Add("X-Forwarded-Proto", "https");
            }

            if (forwardedFor is not null)
            {
                request.Headers.Add("X-Forwarded-For", forwardedFor);
            }

            if (_cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
            }

            if (form is not null)
            {
                request.Content = new FormUrlEncodedContent(form);
            }

            var response = await _http.SendAsync(request);
            foreach (var cookie in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
            {
                SetCookies.Add(cookie);
                var pair = cookie.Split(';')[0];
                var (name, value) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
                if (value.Length == 0)
                {
                    _cookies.Remove(name);
                }
                else
                {
                    _cookies[name] = value;
                }
            }

            return response;
        }

        public async Task SignInAsync(string email, string password)
        {
            using var page = await SendAsync(HttpMethod.Get, "/login");
            var token = AntiforgeryToken().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
            using var response = await SendAsync(HttpMethod.Post, "/login", new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
                ["email"] = email,
                ["password"] = password,
            });
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        }

        public void Dispose() => _http.Dispose();
    }
}
