using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Branding;

namespace SecureFallback.Portal;

/// <summary>The organisation's logo as the portal serves it: checked (PNG) or sanitised (SVG) once, at start.</summary>
/// <param name="Content">The bytes served.</param>
/// <param name="ContentType"><c>image/png</c> or <c>image/svg+xml</c>.</param>
/// <param name="ETag">A strong validator of <paramref name="Content"/>.</param>
public sealed record PortalLogo(byte[] Content, string ContentType, string ETag)
{
    /// <summary>The logo's one address on our origin.</summary>
    public const string Url = BrandingOptions.LogoUrlPath;

    /// <summary>The largest logo file read: a logo is a small picture, and every page asks for it.</summary>
    public const int MaxBytes = 1024 * 1024;

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Reads and checks the logo at <paramref name="path"/>: a PNG by its signature, an SVG through <see cref="SvgLogoSanitizer"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not what its name says, in words for the start-up error.</exception>
    public static PortalLogo Load(string path)
    {
        using var file = File.OpenRead(path);
        if (file.Length > MaxBytes)
        {
            throw new InvalidDataException($"it is larger than 1 MB ({file.Length} bytes)");
        }

        if (string.Equals(Path.GetExtension(path), ".svg", StringComparison.OrdinalIgnoreCase))
        {
            return Of(SvgLogoSanitizer.Sanitize(file), "image/svg+xml");
        }

        var content = new byte[file.Length];
        file.ReadExactly(content);
        return content.AsSpan().StartsWith(PngSignature)
            ? Of(content, "image/png")
            : throw new InvalidDataException("it does not start with the PNG signature");
    }

    private static PortalLogo Of(byte[] content, string contentType) =>
        new(content, contentType, $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..32]}\"");
}

/// <summary>The logo, read once when the portal is mapped at start (its file checked by the options validator), or null without one.</summary>
internal sealed record LoadedLogo(PortalLogo? Logo);

/// <summary>How every portal page shows the organisation: name, logo, accent colour and support line.</summary>
public static class PortalBranding
{
    /// <summary>The branding stylesheet, apart from <see cref="PortalStyle"/> so the CSP keeps forbidding inline styles.</summary>
    public const string StyleUrl = "/branding.css";

    /// <summary>The SVG's own policy: nothing it names is loaded, nothing in it runs, even when opened on its own.</summary>
    public const string SvgCsp = "default-src 'none'; style-src 'unsafe-inline'";

    /// <summary>The organisation's name for the reader, "this organisation" in their language when none is set.</summary>
    public static string OrganizationName(BrandingOptions branding, IStringLocalizer text) =>
        branding.OrganizationNameIsDefault ? text["Organization.Unnamed"] : branding.OrganizationName;

    /// <summary>The colour as custom property, and the few rules that use it: a block of its own for easy merging.</summary>
    public static string Css(BrandingOptions branding) => $$"""
        :root{--accent:{{branding.AccentColor}};--on-accent:{{TextColorOn(branding.AccentColor)}}}
        header{border-bottom:3px solid var(--accent)}
        header .brand{display:flex;align-items:center;gap:.6rem;color:inherit;text-decoration:none}
        header .brand img{display:block;max-height:3rem;max-width:12rem;width:auto;height:auto}
        button:not(.secondary){background:var(--accent);border:1px solid var(--accent);color:var(--on-accent)}
        footer{border-top:1px solid #ddd;margin-top:2rem;padding-top:.5rem}
        nav.languages a{margin-right:.6rem}
        """;

    /// <summary>Black or white, whichever reads better on <paramref name="color"/> (#rgb or #rrggbb, WCAG relative luminance).</summary>
    public static string TextColorOn(string color)
    {
        var hex = color.TrimStart('#');
        hex = hex.Length == 3 ? string.Concat(hex.Select(c => $"{c}{c}")) : hex;
        var channels = Enumerable.Range(0, 3).Select(i => Convert.ToInt32(hex.Substring(i * 2, 2), 16) / 255.0)
            .Select(c => c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4)).ToArray();
        var luminance = (0.2126 * channels[0]) + (0.7152 * channels[1]) + (0.0722 * channels[2]);
        return (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) ? "#000" : "#fff"; // the larger contrast ratio
    }

    internal static void Add(IServiceCollection services) =>
        services.AddSingleton(sp => new LoadedLogo(sp.GetRequiredService<IOptions<BrandingOptions>>().Value.LogoPath is { Length: > 0 } path ? PortalLogo.Load(path) : null));

    internal static void Map(WebApplication app)
    {
        // Read now, not at the first request: a file moved or removed after the start never breaks a page.
        app.Services.GetRequiredService<LoadedLogo>();
        app.MapGet(StyleUrl, (IOptions<BrandingOptions> branding, HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Text(Css(branding.Value), "text/css; charset=utf-8");
        });
        app.MapGet(PortalLogo.Url, (LoadedLogo loaded, HttpContext http) =>
        {
            if (loaded.Logo is not { } image)
            {
                return Results.NotFound();
            }

            var headers = http.Response.Headers;
            headers.CacheControl = "public, max-age=86400";
            headers.ETag = image.ETag;
            if (image.ContentType == "image/svg+xml")
            {
                headers.ContentSecurityPolicy = SvgCsp;
            }

            return http.Request.Headers.IfNoneMatch == image.ETag
                ? Results.StatusCode(StatusCodes.Status304NotModified)
                : Results.Bytes(image.Content, image.ContentType);
        });
    }
}
