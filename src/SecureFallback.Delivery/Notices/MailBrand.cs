using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using MimeKit;
using SecureFallback.Core.Branding;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// The organisation's face in the mail we write: its name, support line and accent colour, and its logo as an inline
/// part of the HTML notices. The logo is carried, never fetched: a remote image is what tracking pixels look like, and
/// most mail programs block it. Only a PNG of at most <see cref="MaxLogoBytes"/> is carried (an SVG is shown by few
/// mail programs, and a large image makes the notice look like an image-only mail); otherwise the mail has no logo.
/// </summary>
internal sealed class MailBrand
{
    public const int MaxLogoBytes = 64 * 1024;
    private const string LogoId = "logo@securefallback";

    public MailBrand(BrandingOptions options)
    {
        Organization = string.IsNullOrWhiteSpace(options.OrganizationName) ? BrandingOptions.UnnamedOrganization : options.OrganizationName.Trim();
        Named = !options.OrganizationNameIsDefault && Organization != BrandingOptions.UnnamedOrganization;
        Support = string.IsNullOrWhiteSpace(options.SupportContact) ? null : options.SupportContact.Trim();
        // Validated at start; checked again because it is written into a style attribute.
        Accent = options.AccentColor is { Length: 4 or 7 } color && color[0] == '#' && color[1..].All(char.IsAsciiHexDigit) ? color : "#1f4e79";
        Logo = LoadLogo(options.LogoPath);
    }

    /// <summary>No organisation configured: "this organisation", the default colour, no support line.</summary>
    public static MailBrand Unnamed { get; } = new(new BrandingOptions { OrganizationNameIsDefault = true });

    public string Organization { get; }

    /// <summary>False when no organisation name is configured (then the From address keeps its bare form).</summary>
    public bool Named { get; }

    public string? Support { get; }

    public string Accent { get; }

    /// <summary>The PNG logo carried in HTML notices, or null.</summary>
    public byte[]? Logo { get; }

    /// <summary>Why a configured logo is not carried in mail, or null.</summary>
    public string? LogoSkipped { get; private set; }

    /// <summary>The notices' From: the configured address, named after the organisation unless it has a name of its own.</summary>
    public MailboxAddress From(MailboxAddress configured) =>
        Named && string.IsNullOrWhiteSpace(configured.Name) ? new MailboxAddress(Organization, configured.Address) : configured;

    /// <summary>The closing lines of every text part: the organisation and its support line.</summary>
    public string TextFooter(MailWords words)
    {
        var footer = new StringBuilder("\n-- \n").Append(words.Format("Footer.Service", Organization)).Append('\n');
        return Support is null ? footer.ToString() : footer.Append(Support).Append('\n').ToString();
    }

    /// <summary>A whole HTML part: the organisation's header in its colour (and logo), the body, the support footer.</summary>
    /// <param name="words">The language of the body (its <c>lang</c>).</param>
    /// <param name="body">The body's HTML, already encoded.</param>
    /// <param name="top">An optional first paragraph (already encoded), such as a line in a second language.</param>
    public string Html(MailWords words, string body, string? top = null)
    {
        var logo = Logo is null ? "" : $"<img src=\"cid:{LogoId}\" alt=\"{E(Organization)}\" height=\"40\" style=\"height:40px;vertical-align:middle;margin-right:12px;border:0\">";
        var support = Support is null ? "" : $"<br>{E(Support)}";
        return $"""
            <!doctype html>
            <html lang="{words.Code}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>
            <body style="margin:0;padding:0;background:#ffffff;color:#1a1a1a">
            <div style="font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;max-width:40rem;margin:0 auto;padding:16px">
            <div style="border-bottom:4px solid {Accent};padding-bottom:8px;margin-bottom:16px">{logo}<strong style="font-size:1.25em;color:{Accent}">{E(Organization)}</strong></div>
            {top}
            {body}
            <p style="margin-top:24px;padding-top:8px;border-top:1px solid #cccccc;font-size:0.9em;color:#444444">{E(words.Format("Footer.Service", Organization))}{support}</p>
            </div>
            </body></html>
            """;
    }

    /// <summary>The text and HTML parts as one body, with the logo as an inline part of the HTML when there is one.</summary>
    public MimeEntity Body(string text, string html)
    {
        var builder = new BodyBuilder { TextBody = text, HtmlBody = html };
        if (Logo is not null)
        {
            var logo = builder.LinkedResources.Add("logo.png", Logo, new ContentType("image", "png"));
            logo.ContentId = LogoId;
        }

        return builder.ToMessageBody();
    }

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private byte[]? LoadLogo(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            return null;
        }

        if (!string.Equals(Path.GetExtension(path), ".png", StringComparison.OrdinalIgnoreCase))
        {
            LogoSkipped = "an SVG logo is shown by few mail programs";
            return null;
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length > MaxLogoBytes)
        {
            LogoSkipped = $"the PNG logo is larger than {MaxLogoBytes / 1024} KB";
            return null;
        }

        return bytes;
    }
}

internal static partial class MailBrandLog
{
    [LoggerMessage(EventId = 3800, Level = LogLevel.Warning, Message = "Branding:LogoPath is not carried in the mail we write ({Reason}); notices name the organisation in text only. A PNG of at most 64 KB is carried as an inline part")]
    public static partial void LogoSkipped(ILogger logger, string reason);
}
