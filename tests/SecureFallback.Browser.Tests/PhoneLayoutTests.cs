using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace SecureFallback.Browser.Tests;

/// <summary>
/// Every page on a small phone (360×640 CSS pixels, touch): nothing scrolls sideways, every target is at least
/// 24×24 px or spaced as WCAG 2.5.8 allows, and axe finds nothing there either. The recipients' pages are
/// photographed at that size; with <c>SECUREFALLBACK_WRITE_SCREENSHOTS=1</c> into docs/screenshots/ for the README.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class PhoneLayoutTests(ChromiumFixture chromium, PortalTour tour, ITestOutputHelper output)
{
    public const int Width = 360;
    public const int Height = 640;

    public static BrowserNewContextOptions Phone() => new()
    {
        ViewportSize = new ViewportSize { Width = Width, Height = Height },
        DeviceScaleFactor = 1,
        IsMobile = true,
        HasTouch = true,
    };

    [Theory]
    [MemberData(nameof(TourPages.Names), MemberType = typeof(TourPages))]
    public async Task Page_At360x640_HasNoSidewaysScrolling_AndTouchTargetsOfAtLeast24Px(string name)
    {
        var tourPage = TourPages.Named(name);
        await using var context = await tour.NewContextAsync(chromium, tourPage.Session, Phone());
        var page = await context.NewPageAsync();
        await tourPage.OpenAsync(page, tour);

        await AssertFitsAPhoneAsync(page, name);
    }

    /// <summary>The text-heavy recipient pages in German and French, whose words and sentences are longer than English.</summary>
    [Theory]
    [InlineData("front", "de")]
    [InlineData("front", "fr")]
    [InlineData("register", "de")]
    [InlineData("register", "fr")]
    [InlineData("message", "de")]
    [InlineData("message", "fr")]
    [InlineData("sign-in", "de")]
    [InlineData("sign-in", "fr")]
    public async Task TranslatedPage_At360x640_HasNoSidewaysScrolling_SmallTargets_OrAxeViolations(string name, string language)
    {
        var tourPage = TourPages.Named(name);
        var options = Phone();
        options.Locale = language;
        options.ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept-Language"] = language };
        await using var context = await tour.NewContextAsync(chromium, tourPage.Session, options);
        var page = await context.NewPageAsync();
        await tourPage.OpenAsync(page, tour);

        Assert.Equal(language, await page.GetAttributeAsync("html", "lang"));
        await AssertFitsAPhoneAsync(page, $"{name} ({language})");
    }

    private async Task AssertFitsAPhoneAsync(IPage page, string name)
    {
        var scrollWidth = await page.EvaluateAsync<int>("() => document.scrollingElement.scrollWidth");
        var sticking = await page.EvaluateAsync<string[]>(PhoneChecks.ElementsPastTheRightEdge, Width);
        Assert.True(scrollWidth <= Width, $"{name}: the page is {scrollWidth} px wide at {Width} px; sticking out: {string.Join("; ", sticking)}");
        var small = await page.EvaluateAsync<string[]>(PhoneChecks.UndersizedTargets);
        Assert.True(small.Length == 0, $"{name}: targets under 24×24 px without room around them: {string.Join("; ", small)}");
        var axe = await page.RunAxe(new AxeRunOptions { RunOnly = RunOnlyOptions.Tags(AccessibilityTests.WcagTags) });
        output.WriteLine($"phone {name}: {scrollWidth} px wide, axe {axe.Violations.Length} violations, {axe.Passes.Length} rules passed");
        Assert.True(axe.Violations.Length == 0, $"{name} at {Width}×{Height}: {AccessibilityTests.Describe(axe.Violations)}");
    }

    [Fact]
    public async Task HeldMessage_At360x640_WrapsTheLongWordAndPre_ScrollsTheWideTableInALabelledRegion_AndScalesTheImage()
    {
        await using var context = await tour.NewContextAsync(chromium, TourSession.Recipient, Phone());
        var page = await context.NewPageAsync();
        await page.GotoAsync(tour.Address(tour.HeldMessagePath).ToString());
        var body = page.Locator(".html-body");

        var word = await body.Locator("p", new LocatorLocatorOptions { HasText = "Reference:" }).EvaluateAsync<double[]>("e => [e.scrollWidth, e.clientWidth]");
        Assert.True(word[0] <= word[1], $"the 300-character word overflows its paragraph: {word[0]} > {word[1]} px");
        var pre = await body.Locator("pre").EvaluateAsync<double[]>("e => [e.scrollWidth, e.clientWidth, e.getBoundingClientRect().right]");
        Assert.True(pre[0] <= pre[1] && pre[2] <= Width, $"the <pre> does not wrap: {pre[0]} px of text in {pre[1]} px, right edge {pre[2]}");
        var image = await body.Locator("img").EvaluateAsync<double[]>("e => [e.getBoundingClientRect().width, e.getBoundingClientRect().right]");
        Assert.True(image[1] <= Width, $"the 1200 px image is not scaled down: {image[0]} px wide, right edge {image[1]}");
        var region = await body.Locator("table").EvaluateAsync<string>(PhoneChecks.ScrollRegionOf);
        Assert.True(region.StartsWith("ok:", StringComparison.Ordinal), $"the wide table: {region}");
        var table = await body.Locator("table").EvaluateAsync<double>("e => e.getBoundingClientRect().width");
        Assert.True(table > Width, $"the test's table should be wider than the screen ({table} px)");
        Assert.True(await page.EvaluateAsync<int>("() => document.scrollingElement.scrollWidth") <= Width);
    }

    [Fact]
    public async Task Inbox_At360x640_StacksEachMessageOnItsOwnLines_AndStaysATableForScreenReaders()
    {
        await using var context = await tour.NewContextAsync(chromium, TourSession.Recipient, Phone());
        var page = await context.NewPageAsync();
        await page.GotoAsync(tour.Address("/inbox").ToString());
        var table = page.Locator("table.messages");

        var widths = await table.EvaluateAsync<double[]>("e => [e.parentElement.scrollWidth, e.parentElement.clientWidth]");
        Assert.True(widths[0] <= widths[1], $"the inbox scrolls sideways on a phone: {widths[0]} px in {widths[1]} px");
        var subject = await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Quarterly report" }).EvaluateAsync<double>("e => e.getClientRects().length");
        Assert.Equal(1, subject); // on one line, not broken letter by letter
        var tree = await table.AriaSnapshotAsync();
        Assert.Contains("columnheader \"Subject\"", tree);
        Assert.Contains("- cell", tree);
    }

    [Theory]
    [MemberData(nameof(TourPages.RecipientNames), MemberType = typeof(TourPages))]
    public async Task RecipientPage_At360x640_IsPhotographed(string name)
    {
        var tourPage = TourPages.Named(name);
        await using var context = await tour.NewContextAsync(chromium, tourPage.Session, Phone());
        var page = await context.NewPageAsync();
        await tourPage.OpenAsync(page, tour);

        var png = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true, Animations = ScreenshotAnimations.Disabled });

        var pngWidth = BitConverter.ToInt32([.. png.AsSpan(16, 4).ToArray().Reverse()]); // the PNG's IHDR width
        Assert.True(pngWidth == Width, $"{name}: the whole page is {pngWidth} px wide at a {Width} px screen");
        if (Environment.GetEnvironmentVariable("SECUREFALLBACK_WRITE_SCREENSHOTS") == "1")
        {
            var path = Path.Combine(RepositoryRoot(), "docs", "screenshots", $"{name}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, png);
            output.WriteLine($"wrote {path}");
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SecureFallback.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("SecureFallback.sln not found above the test's directory");
    }
}
