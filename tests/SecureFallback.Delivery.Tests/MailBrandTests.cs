using SecureFallback.Core.Branding;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Tests;

public sealed class MailBrandTests
{
    private static readonly Uri Portal = new("https://secure.example.org/");

    [Fact]
    public void Html_ShowsTheLogoFromThePortal_OnlyWithLogoInMail()
    {
        var words = NoticeText.Language("en").Words;
        var options = new BrandingOptions { OrganizationName = "Example Health Ltd", LogoPath = "/etc/logo.png" };

        var without = new MailBrand(options, Portal).Html(words, "<p>body</p>");
        options.LogoInMail = true;
        var with = new MailBrand(options, Portal).Html(words, "<p>body</p>");

        Assert.DoesNotContain("<img", without, StringComparison.Ordinal);
        Assert.Contains("<img src=\"https://secure.example.org/branding/logo\" alt=\"\"", with, StringComparison.Ordinal);
        Assert.Contains("Example Health Ltd", with, StringComparison.Ordinal); // the name stays, for blocked images
    }
}
