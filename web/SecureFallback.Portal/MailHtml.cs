using Ganss.Xss;

namespace SecureFallback.Portal;

/// <summary>
/// Cleans HTML mail for display with HtmlSanitizer: no scripts, event handlers, forms, frames or styles that could
/// reach out, and only https/mailto links. Remote images are also blocked by the page's Content-Security-Policy.
/// </summary>
public sealed class MailHtml
{
    private readonly HtmlSanitizer _sanitizer;

    public MailHtml()
    {
        _sanitizer = new HtmlSanitizer();
        _sanitizer.AllowedSchemes.Clear();
        _sanitizer.AllowedSchemes.Add("https");
        _sanitizer.AllowedSchemes.Add("mailto");
        _sanitizer.AllowedTags.Remove("form");
        _sanitizer.AllowedTags.Remove("input");
        _sanitizer.AllowedTags.Remove("button");
        _sanitizer.AllowedTags.Remove("textarea");
        _sanitizer.AllowedTags.Remove("select");
        _sanitizer.AllowedAtRules.Clear();
        _sanitizer.AllowedAttributes.Remove("style");
        _sanitizer.AllowedAttributes.Remove("id"); // ids could collide with the portal's own elements
        _sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is AngleSharp.Dom.IElement { TagName: "A" } link)
            {
                link.SetAttribute("rel", "noopener noreferrer nofollow");
                link.SetAttribute("target", "_blank");
            }
        };
    }

    public string Clean(string html) => _sanitizer.Sanitize(html);
}
