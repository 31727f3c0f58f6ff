using System.Net;
using System.Text.RegularExpressions;

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

        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
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

    /// <summary>The anti-forgery token in a page's form.</summary>
    public static string TokenIn(string html) => WebUtility.HtmlDecode(AntiforgeryToken().Match(html).Groups[1].Value);

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    public static partial Regex AntiforgeryToken();

    public void Dispose() => _http.Dispose();
}
