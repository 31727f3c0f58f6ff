using SecureFallback.Core.Branding;

namespace SecureFallback.Core.Tests;

public sealed class SupportedLanguagesTests
{
    [Theory]
    [InlineData("de", "de")]
    [InlineData(" DE ", "de")]
    [InlineData("fr-CH", "fr")]
    [InlineData("nl_BE", "nl")]
    [InlineData("it", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Normalize_MapsASettingToASupportedCode(string? value, string? expected) =>
        Assert.Equal(expected, SupportedLanguages.Normalize(value));
}
