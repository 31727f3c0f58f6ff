using System.Globalization;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

[assembly: ResourceLocation("Resources")]

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// The texts of the mail SecureFallback writes, in <c>Resources/Notices/NoticeText.&lt;language&gt;.resx</c> (English
/// in <c>NoticeText.resx</c>), read through <see cref="IStringLocalizer{T}"/>. The assembly's
/// <see cref="ResourceLocationAttribute"/> fixes where they are, whatever <c>ResourcesPath</c> the portal sets.
/// </summary>
internal sealed class NoticeText
{
    private static readonly Lazy<IStringLocalizer> Fallback = new(() =>
        new ResourceManagerStringLocalizerFactory(Options.Create(new LocalizationOptions()), NullLoggerFactory.Instance).Create(typeof(NoticeText)));

    /// <summary>The texts of <paramref name="language"/> (a supported code) without dependency injection: tests, tools.</summary>
    public static MailLanguage Language(string language = "en", string? second = null) =>
        new(new MailWords(Fallback.Value, CultureInfo.GetCultureInfo(language)), second is null ? null : new MailWords(Fallback.Value, CultureInfo.GetCultureInfo(second)));
}

/// <summary>The texts in one language, formatted in its culture.</summary>
internal sealed class MailWords(IStringLocalizer localizer, CultureInfo culture)
{
    public CultureInfo Culture => culture;

    /// <summary>The two-letter code, for <c>lang</c> attributes.</summary>
    public string Code => culture.TwoLetterISOLanguageName;

    /// <summary>The text named <paramref name="key"/>; the localizer reads the UI culture, set for the look-up alone.</summary>
    public string this[string key]
    {
        get
        {
            var previous = CultureInfo.CurrentUICulture;
            CultureInfo.CurrentUICulture = culture;
            try
            {
                return localizer[key].Value;
            }
            finally
            {
                CultureInfo.CurrentUICulture = previous;
            }
        }
    }

    public string Format(string key, params object?[] args) => string.Format(culture, this[key], args);

    /// <summary>A date and time as the reader writes them, with the time zone named (always UTC).</summary>
    public string When(DateTimeOffset at) => at.UtcDateTime.ToString("f", culture) + " UTC";

    /// <summary>The yes or no of a report line.</summary>
    public string YesNo(bool value) => this[value ? "Yes" : "No"];
}

/// <summary>The language a mail is written in, and the optional second one of its short line at the top.</summary>
internal sealed record MailLanguage(MailWords Words, MailWords? Second = null)
{
    /// <summary>English alone: what a composer writes when no language is given.</summary>
    public static MailLanguage Default { get; } = NoticeText.Language();
}
