using SecureFallback.Core.Branding;

namespace SecureFallback.Server.Tests;

public sealed class BrandingOptionsValidatorTests
{
    [Theory]
    [InlineData("#fa0\n")]
    [InlineData("#1f4e79\n")]
    [InlineData("#fa0\r\n")]
    public void AccentColor_WithATrailingLineBreak_IsRefused(string color)
    {
        var result = new BrandingOptionsValidator().Validate(null, new BrandingOptions { AccentColor = color });

        Assert.True(result.Failed, $"'{color.ReplaceLineEndings("\\n")}' was accepted");
        Assert.Contains("SecureFallback:Branding:AccentColor", result.FailureMessage);
    }

    [Theory]
    [InlineData("#fa0")]
    [InlineData("#1F4E79")]
    public void AccentColor_OfThreeOrSixHexDigits_IsAccepted(string color) =>
        Assert.True(new BrandingOptionsValidator().Validate(null, new BrandingOptions { AccentColor = color }).Succeeded);

    [Fact]
    public void LogoPath_LargerThanOneMegabyte_IsRefusedWithItsSize()
    {
        var logo = Path.Combine(Path.GetTempPath(), $"logo-{Guid.NewGuid():N}.png");
        var content = new byte[(1024 * 1024) + 1];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(content, 0);
        File.WriteAllBytes(logo, content);
        try
        {
            var result = new BrandingOptionsValidator().Validate(null, new BrandingOptions { LogoPath = logo });

            Assert.True(result.Failed, "a logo of 1 MB and 1 byte was accepted");
            Assert.Contains($"SecureFallback:Branding:LogoPath '{logo}' is not a usable PNG logo: it is larger than 1 MB (1048577 bytes)", result.FailureMessage);
        }
        finally
        {
            File.Delete(logo);
        }
    }
}
