using System.Net;
using System.Text;
using MimeKit;
using SecureFallback.Core.Branding;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// The organisation's face in the mail we write: its name, support line and accent colour, and with
/// <c>Branding:LogoInMail</c> its logo, shown from the portal's own origin (<see cref="BrandingOptions.LogoUrlPath"/>),
/// the same address for every recipient, so it tells nobody who opened what. Off by default: SpamAssassin scores an
/// image beside a notice's short text with HTML_IMAGE_ONLY_* (measured: 2.8 points for a two-language notice, over
/// the notice's target of 2), inline or remote alike. The name in the accent colour stands where a logo would.
/// </summary>
internal sealed class MailBrand
{
    public MailBrand(BrandingOptions options, Uri? portal = null)
    {
        LogoUrl = !options.LogoInMail || string.IsNullOrWhiteSpace(options.LogoPath) || portal is null ? null : new Uri(portal, BrandingOptions.LogoUrlPath);
        Organization = string.IsNullOrWhiteSpace(options.OrganizationName) ? BrandingOptions.UnnamedOrganization : options.OrganizationName.Trim();
        Named = !options.OrganizationNameIsDefault && Organization != BrandingOptions.UnnamedOrganization;
        Support = string.IsNullOrWhiteSpace(options.SupportContact) ? null : options.SupportContact.Trim();
        // Validated at start; checked again because it is written into a style attribute.
        Accent = options.AccentColor is { Length: 4 or 7 } color && color[0] == '#' && color[1..].All(char.IsAsciiHexDigit) ? color : "#1f4e79";
    }

    /// <summary>No organisation configured: "this organisation", the default colour, no support line.</summary>
    public static MailBrand Unnamed { get; } = new(new BrandingOptions { OrganizationNameIsDefault = true });

    /// <summary>The configured name; "this organisation" in English when none is (mail uses <see cref="OrganizationIn"/>).</summary>
    public string Organization { get; }

    /// <summary>The organisation's name as <paramref name="words"/>' reader reads it: "this organisation" in their language when none is set.</summary>
    public string OrganizationIn(MailWords words) => Named ? Organization : words["Organization.Unnamed"];

    /// <summary>False when no organisation name is configured (then the From address keeps its bare form).</summary>
    public bool Named { get; }

    public string? Support { get; }

    /// <summary>The logo's address on the portal, or null when no logo is configured.</summary>
    public Uri? LogoUrl { get; }

    public string Accent { get; }

    /// <summary>The notices' From: the configured address, named after the organisation unless it has a name of its own.</summary>
    public MailboxAddress From(MailboxAddress configured) =>
        Named && string.IsNullOrWhiteSpace(configured.Name) ? new MailboxAddress(Organization, configured.Address) : configured;

    /// <summary>The closing lines of every text part: the organisation and its support line.</summary>
    public string TextFooter(MailWords words)
    {
        var footer = new StringBuilder("\n-- \n").Append(words.Format("Footer.Service", OrganizationIn(words))).Append('\n');
        return Support is null ? footer.ToString() : footer.Append(Support).Append('\n').ToString();
    }

    /// <summary>A whole HTML part: the organisation's name in its colour on top, the body, the support footer.</summary>
    /// <param name="words">The language of the body (its <c>lang</c>).</param>
    /// <param name="body">The body's HTML, already encoded.</param>
    /// <param name="top">An optional first paragraph (already encoded), such as a line in a second language.</param>
    public string Html(MailWords words, string body, string? top = null)
    {
        var support = Support is null ? "" : $"<br>{E(Support)}";
        // Decorative (alt=""): the name follows it in text, so a blocked image loses nothing.
        var logo = LogoUrl is null ? "" : $"<img src=\"{E(LogoUrl.AbsoluteUri)}\" alt=\"\" height=\"32\" style=\"height:32px;width:auto;vertical-align:middle;margin-right:8px;border:0\">";
        return $"""
            <!doctype html>
            <html lang="{words.Code}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>
            <body style="margin:0;padding:0;background:#ffffff;color:#1a1a1a">
            <div style="font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;max-width:40rem;margin:0 auto;padding:16px">
            <div style="border-bottom:4px solid {Accent};padding-bottom:8px;margin-bottom:16px">{logo}<strong style="font-size:1.25em;color:{Accent}">{E(OrganizationIn(words))}</strong></div>
            {top}
            {body}
            <p style="margin-top:24px;padding-top:8px;border-top:1px solid #cccccc;font-size:0.9em;color:#444444">{E(words.Format("Footer.Service", OrganizationIn(words)))}{support}</p>
            </div>
            </body></html>
            """;
    }

    /// <summary>The text and HTML parts as one <c>multipart/alternative</c> body, the text part first.</summary>
    public static MimeEntity Body(string text, string html) => new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
