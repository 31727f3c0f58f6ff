using System.Globalization;
using System.Resources;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Localization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;

[assembly: NeutralResourcesLanguage("en")]

namespace SecureFallback.Portal;

/// <summary>
/// The portal's texts: <c>Resources/PortalText.resx</c> (English, the neutral language) and one translation per
/// <see cref="Core.Branding.SupportedLanguages"/> code (<c>PortalText.de.resx</c>, …). Views read them through
/// <see cref="IHtmlLocalizer{TResource}"/> (a text may hold a link; arguments are encoded), page models and services
/// through <see cref="IStringLocalizer{TResource}"/>.
/// </summary>
public sealed class PortalText
{
    private PortalText()
    {
    }
}

/// <summary>Reading <see cref="PortalText"/> where no constructor can take a localizer, and dates in the reader's language.</summary>
public static class PortalTextExtensions
{
    /// <summary>The text <paramref name="key"/> in the request's language.</summary>
    public static string Text(this PageModel page, string key, params object[] arguments) =>
        page.HttpContext.RequestServices.GetRequiredService<IStringLocalizer<PortalText>>()[key, arguments];

    /// <summary>"6 December 2026, 14:05 UTC" in the reader's language: the month named, the time zone too.</summary>
    public static string When(this IStringLocalizer text, DateTimeOffset at) => Format(text["Format.DateTime"], at);

    /// <summary>"6 December 2026" in the reader's language.</summary>
    public static string Day(this IStringLocalizer text, DateTimeOffset at) => Format(text["Format.Date"], at);

    /// <inheritdoc cref="When(IStringLocalizer, DateTimeOffset)"/>
    public static string When(this IHtmlLocalizer text, DateTimeOffset at) => Format(text.GetString("Format.DateTime"), at);

    /// <inheritdoc cref="Day(IStringLocalizer, DateTimeOffset)"/>
    public static string Day(this IHtmlLocalizer text, DateTimeOffset at) => Format(text.GetString("Format.Date"), at);

    /// <summary>Identity's answers, with our own two codes put in the reader's language too.</summary>
    public static IEnumerable<string> Describe(this PageModel page, IEnumerable<IdentityError> errors) =>
        errors.Select(e => e.Code is "AlreadyRegistered" or "AddressIsUserName" ? page.Text("Identity." + e.Code) : e.Description);

    private static string Format(LocalizedString pattern, DateTimeOffset at) =>
        at.UtcDateTime.ToString(pattern.Value, CultureInfo.CurrentCulture);
}
