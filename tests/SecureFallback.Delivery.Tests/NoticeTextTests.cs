using System.Globalization;
using System.Resources;
using SecureFallback.Core.Branding;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Tests;

public sealed class NoticeTextTests
{
    private static readonly ResourceManager Resources = new("SecureFallback.Delivery.Resources.Notices.NoticeText", typeof(NoticeSigner).Assembly);

    public static TheoryData<string> Translations() => [.. SupportedLanguages.Codes.Where(c => c != SupportedLanguages.Default)];

    [Theory]
    [MemberData(nameof(Translations))]
    public void EveryText_IsTranslated_NonEmpty_WithTheSamePlaceholders(string language)
    {
        var english = Texts(CultureInfo.InvariantCulture);
        var translated = Texts(CultureInfo.GetCultureInfo(language));

        Assert.NotEmpty(english);
        Assert.Equal(english.Keys.Order(), translated.Keys.Order());
        foreach (var (key, text) in translated)
        {
            Assert.False(string.IsNullOrWhiteSpace(text), $"{language}: {key} is empty");
            Assert.Equal(Placeholders(english[key]), Placeholders(text));
        }
    }

    private static Dictionary<string, string> Texts(CultureInfo culture)
    {
        var set = Resources.GetResourceSet(culture, createIfNotExists: true, tryParents: false)
            ?? throw new MissingManifestResourceException($"no notice texts for '{culture.Name}'");
        return set.Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string)e.Value!);
    }

    private static string Placeholders(string text) =>
        string.Join(",", System.Text.RegularExpressions.Regex.Matches(text, @"\{\d+\}").Select(m => m.Value).Distinct().Order());
}
