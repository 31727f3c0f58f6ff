using System.Collections;
using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;
using SecureFallback.Core.Branding;
using SecureFallback.Portal;

namespace SecureFallback.Server.Tests;

public sealed partial class PortalResourceTests
{
    private static readonly ResourceManager Resources = new("SecureFallback.Portal.Resources.PortalText", typeof(PortalServiceCollectionExtensions).Assembly);

    [Fact]
    public void EveryPortalText_ExistsInEveryLanguage_NotEmpty_WithTheSamePlaceholders()
    {
        var neutral = Entries(CultureInfo.InvariantCulture);
        Assert.True(neutral.Count > 100, $"only {neutral.Count} texts");
        foreach (var code in SupportedLanguages.Codes.Where(c => c != SupportedLanguages.Default))
        {
            var translated = Entries(CultureInfo.GetCultureInfo(code));
            Assert.Empty(neutral.Keys.Except(translated.Keys).Select(k => $"{code}: {k} missing"));
            Assert.Empty(translated.Keys.Except(neutral.Keys).Select(k => $"{code}: {k} is not in the neutral resources"));
            Assert.Empty(translated.Where(t => string.IsNullOrWhiteSpace(t.Value)).Select(t => $"{code}: {t.Key} is empty"));
            Assert.Empty(neutral.Where(n => !Placeholders(n.Value).SetEquals(Placeholders(translated[n.Key]))).Select(n => $"{code}: {n.Key} has other placeholders"));
        }
    }

    private static Dictionary<string, string> Entries(CultureInfo culture)
    {
        var set = Resources.GetResourceSet(culture, createIfNotExists: true, tryParents: false)
            ?? throw new InvalidOperationException($"no portal texts for '{culture.Name}'");
        return set.Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string)e.Value!);
    }

    private static HashSet<string> Placeholders(string text) => [.. Placeholder().Matches(text).Select(m => m.Value)];

    [GeneratedRegex(@"\{\d+(?::[^}]*)?\}")]
    private static partial Regex Placeholder();
}
