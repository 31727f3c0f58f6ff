using SecureFallback.Core.Branding;
using SecureFallback.Portal;

namespace SecureFallback.Server.Tests;

public sealed class PortalBrandingStyleTests
{
    [Theory]
    [InlineData("#1f4e79", "#fff")] // the default: dark blue
    [InlineData("#b03a2e", "#fff")]
    [InlineData("#fa0", "#000")] // a light accent gets dark text on its buttons
    [InlineData("#ffffff", "#000")]
    [InlineData("#000", "#fff")]
    public void ButtonText_OnTheAccentColour_IsWhicheverOfBlackAndWhiteReadsBetter(string accent, string text)
    {
        var css = PortalBranding.Css(new BrandingOptions { AccentColor = accent });

        Assert.Contains($"--accent:{accent};--on-accent:{text}", css, StringComparison.Ordinal);
        Assert.Contains("color:var(--on-accent)", css, StringComparison.Ordinal);
    }
}
