using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Branding;

namespace SecureFallback.Portal;

/// <summary>
/// The portal's language: the one chosen with the switch (a cookie), else the browser's <c>Accept-Language</c>, else
/// English; always one of <see cref="SupportedLanguages"/>. The admin console stays English.
/// </summary>
public static class PortalLanguages
{
    /// <summary>The cookie the switch sets: the chosen language's code, in ASP.NET Core's culture cookie format.</summary>
    public const string CookieName = "securefallback.language";

    /// <summary>Each language's name in itself, for the switch.</summary>
    public static IReadOnlyDictionary<string, string> Names { get; } = new Dictionary<string, string>
    {
        ["en"] = "English",
        ["de"] = "Deutsch",
        ["fr"] = "Français",
        ["es"] = "Español",
        ["nl"] = "Nederlands",
    };

    internal static void Add(IServiceCollection services)
    {
        services.AddLocalization(options => options.ResourcesPath = "Resources");
        services.Configure<RequestLocalizationOptions>(options =>
        {
            options.DefaultRequestCulture = new RequestCulture(SupportedLanguages.Default);
            options.SupportedCultures = options.SupportedUICultures = [.. SupportedLanguages.Cultures];
            options.RequestCultureProviders =
            [
                new CustomRequestCultureProvider(http => Task.FromResult(http.Request.Path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase)
                    ? new ProviderCultureResult(SupportedLanguages.Default) : null)),
                new CookieRequestCultureProvider { CookieName = CookieName },
                new AcceptLanguageHeaderRequestCultureProvider(),
            ];
        });
    }

    /// <summary>
    /// <c>GET /language/{code}?returnUrl=/path</c>: remembers the language for a year and goes back to the page it
    /// was chosen on. A link, not a form, so it works without JavaScript; only a path on this site is followed back,
    /// anything else (another host, <c>//host</c>, <c>/\host</c>, a scheme) leads to the front page.
    /// </summary>
    internal static void MapSwitch(WebApplication app) => app.MapGet("/language/{code}", (HttpContext http, string code, string? returnUrl) =>
    {
        if (SupportedLanguages.Normalize(code) is { } language)
        {
            http.Response.Cookies.Append(CookieName, CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(language)), new CookieOptions
            {
                MaxAge = TimeSpan.FromDays(365),
                HttpOnly = true,
                IsEssential = true,
                SameSite = SameSiteMode.Lax,
                Secure = http.Request.IsHttps,
            });
        }

        return Results.Redirect(LocalReturnUrl(returnUrl) ?? "/");
    });

    /// <summary>
    /// <paramref name="returnUrl"/> as a Location header may carry it (a path on this site, percent-encoded, with its
    /// query), or null when it is not one: checked before and after its path is decoded, so an encoded backslash or
    /// control character is refused too, and a letter outside ASCII is encoded instead of failing the response.
    /// </summary>
    public static string? LocalReturnUrl(string? returnUrl)
    {
        if (!IsLocalPath(returnUrl))
        {
            return null;
        }

        var mark = returnUrl!.IndexOf('?', StringComparison.Ordinal);
        var path = PathString.FromUriComponent(mark < 0 ? returnUrl : returnUrl[..mark]);
        if (!IsLocalPath(path.Value))
        {
            return null;
        }

        return path.ToUriComponent() + (mark < 0 ? "" : new QueryString(EscapeOutsideAscii(returnUrl[mark..])).ToUriComponent());
    }

    /// <summary>Percent-encodes, as UTF-8, every character that is not printable ASCII; the rest stays as it is.</summary>
    private static string EscapeOutsideAscii(string text)
    {
        var escaped = new StringBuilder(text.Length);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value is > 0x20 and < 0x7F)
            {
                escaped.Append((char)rune.Value);
                continue;
            }

            foreach (var b in bytes[..rune.EncodeToUtf8(bytes)])
            {
                escaped.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return escaped.ToString();
    }

    /// <summary>The switch's link to <paramref name="code"/>, coming back to the page of <paramref name="request"/>.</summary>
    public static string SwitchUrl(HttpRequest request, string code)
    {
        // An error page shown in place of the address asked for (404 re-executed) comes back to that address.
        var page = request.HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is { } reExecuted
            ? new PathString(reExecuted.OriginalPathBase + reExecuted.OriginalPath).ToUriComponent() + reExecuted.OriginalQueryString
            : (request.PathBase + request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        return $"/language/{code}?returnUrl={Uri.EscapeDataString(page)}";
    }

    /// <summary>True for a path on this site ("/inbox?x=1"); false for anything a browser could take elsewhere.</summary>
    public static bool IsLocalPath(string? url) =>
        url is { Length: > 0 } && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Any(c => char.IsControl(c) || c == '\\');
}
