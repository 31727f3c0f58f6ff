using System.Net;
using System.Text.RegularExpressions;
using OtpNet;

namespace SecureFallback.TestKit;

/// <summary>
/// A browser-like client that keeps cookies itself (so Secure cookies still travel in a test over http); it may come
/// through a proxy on loopback (<paramref name="forwardedFor"/>) and name its browser (<paramref name="userAgent"/>).
/// </summary>
public sealed partial class PortalVisitor(Uri address, bool viaHttpsProxy = false, string? forwardedFor = null, string? userAgent = null) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = address };
    private readonly Dictionary<string, string> _cookies = [];

    public List<string> SetCookies { get; } = [];

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Dictionary<string, string>? form = null) =>
        SendAsync(method, path, form is null ? null : new FormUrlEncodedContent(form));

    /// <summary>Sends <paramref name="content"/> (a multipart form with files, say) with this visitor's cookies.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content)
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

        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        if (_cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
        }

        request.Content = content;

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

    /// <summary>The same visitor, cookies and all, at <paramref name="otherAddress"/>: the next request landing on another instance.</summary>
    public PortalVisitor At(Uri otherAddress)
    {
        var other = new PortalVisitor(otherAddress, viaHttpsProxy, forwardedFor, userAgent);
        foreach (var (name, value) in _cookies)
        {
            other._cookies[name] = value;
        }

        return other;
    }

    public async Task SignInAsync(string email, string password)
    {
        using var page = await SendAsync(HttpMethod.Get, "/login");
        var token = TokenIn(await page.Content.ReadAsStringAsync());
        using var response = await SendAsync(HttpMethod.Post, "/login", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["email"] = email,
            ["password"] = password,
        });
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Sign-in as {email} answered {(int)response.StatusCode}, not a redirect.");
        }
    }

    /// <summary>
    /// Turns on two-step sign-in for the signed-in account at /account/security, as its owner would with an
    /// authenticator app; returns that app. (An admin must do this before the console opens.)
    /// </summary>
    public async Task<Totp> TurnOnAuthenticatorAsync()
    {
        using var page = await SendAsync(HttpMethod.Get, "/account/security");
        var html = await page.Content.ReadAsStringAsync();
        var key = SetupKey().Match(html).Groups[1].Value.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();
        var authenticator = new Totp(Base32Encoding.ToBytes(key));
        using var response = await SendAsync(HttpMethod.Post, "/account/security?handler=Enable", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = TokenIn(html),
            ["code"] = authenticator.ComputeTotp(),
        });
        if (!(await response.Content.ReadAsStringAsync()).Contains("Two-step sign-in is on.", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Two-step sign-in did not turn on.");
        }

        return authenticator;
    }

    /// <summary>Signs in with the password and then the authenticator's next code (the current one may be spent).</summary>
    public async Task SignInAsync(string email, string password, Totp authenticator)
    {
        await SignInAsync(email, password);
        using var form = await SendAsync(HttpMethod.Get, "/login/two-factor");
        using var response = await SendAsync(HttpMethod.Post, "/login/two-factor", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = TokenIn(await form.Content.ReadAsStringAsync()),
            ["code"] = authenticator.ComputeTotp(DateTime.UtcNow.AddSeconds(30)),
        });
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"The second step for {email} answered {(int)response.StatusCode}, not a redirect.");
        }
    }

    /// <summary>The anti-forgery token in a page's form.</summary>
    public static string TokenIn(string html) => WebUtility.HtmlDecode(AntiforgeryToken().Match(html).Groups[1].Value);

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    public static partial Regex AntiforgeryToken();

    [GeneratedRegex("<code id=\"setup-key\">([^<]+)</code>")]
    private static partial Regex SetupKey();

    public void Dispose() => _http.Dispose();
}
