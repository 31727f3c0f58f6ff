using System.Globalization;

namespace SecureFallback.Core.Branding;

/// <summary>
/// The languages recipients are addressed in — portal pages and every mail we write — one list for both, so a notice
/// never invites a recipient to a portal that cannot speak their language.
/// </summary>
public static class SupportedLanguages
{
    public const string Default = "en";

    /// <summary>Two-letter codes, the default first.</summary>
    public static IReadOnlyList<string> Codes { get; } = ["en", "de", "fr", "es", "nl"];

    /// <summary>The cultures of <see cref="Codes"/>, in the same order.</summary>
    public static IReadOnlyList<CultureInfo> Cultures { get; } = [.. Codes.Select(CultureInfo.GetCultureInfo)];

    /// <summary>The supported code a setting or header value names ("DE", "de-CH" → "de"), or null.</summary>
    public static string? Normalize(string? value)
    {
        var code = value?.Trim().Split('-', '_')[0].ToLowerInvariant();
        return code is not null && Codes.Contains(code) ? code : null;
    }
}
