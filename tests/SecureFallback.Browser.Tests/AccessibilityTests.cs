using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Xunit.Abstractions;

namespace SecureFallback.Browser.Tests;

/// <summary>
/// axe-core (shipped inside Deque.AxeCore.Playwright, nothing downloaded) on every portal and admin page, with the
/// rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA: no page may have a violation.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class AccessibilityTests(ChromiumFixture chromium, PortalTour tour, ITestOutputHelper output)
{
    /// <summary>WCAG 2.0, 2.1 and 2.2 at A and AA, and axe's best practices (landmarks, empty table headers).</summary>
    public static readonly string[] WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

    [Theory]
    [MemberData(nameof(TourPages.Names), MemberType = typeof(TourPages))]
    public async Task Page_HasNoWcag22AaViolations(string name)
    {
        var tourPage = TourPages.Named(name);
        await using var context = await tour.NewContextAsync(chromium, tourPage.Session);
        var page = await context.NewPageAsync();
        await tourPage.OpenAsync(page, tour);

        var result = await page.RunAxe(new AxeRunOptions { RunOnly = RunOnlyOptions.Tags(WcagTags) });

        output.WriteLine($"axe {name}: {result.Violations.Length} violations, {result.Passes.Length} rules passed, {result.Incomplete.Length} to review {string.Join(" ", result.Incomplete.Select(i => i.Id))}");
        Assert.True(result.Violations.Length == 0, $"{name} ({page.Url}): {Describe(result.Violations)}");
        Assert.NotEmpty(result.Passes);
    }

    /// <summary>Each violation with its rule, impact and the elements it was found on, so a failure says what to fix.</summary>
    public static string Describe(IEnumerable<AxeResultItem> violations) => string.Join("\n", violations.Select(v =>
        $"{v.Id} ({v.Impact}): {v.Help}\n" + string.Join("\n", v.Nodes.Select(n => $"    {n.Target} {n.Html}"))));
}
