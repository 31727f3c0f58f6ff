using Microsoft.Playwright;

namespace SecureFallback.Browser.Tests;

/// <summary>
/// Debian's Chromium driven by Playwright; never a downloaded browser. The flags keep Chromium off the network
/// (this machine has none) except for loopback.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    /// <summary>
    /// How long a step may wait for the page: room beyond Playwright's 30 s for CI's two cores, which also run the
    /// server test processes beside the browser; a real hang still fails, only later.
    /// </summary>
    private const float StepTimeoutMs = 90_000;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>A fresh browser profile (cookies, storage) for one recipient, with the suite's step timeout.</summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        var context = await Browser.NewContextAsync(options);
        context.SetDefaultTimeout(StepTimeoutMs);
        context.SetDefaultNavigationTimeout(StepTimeoutMs);
        return context;
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: run scripts/install-test-deps.sh (Debian package chromium).");
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ChromiumCollection : ICollectionFixture<ChromiumFixture>, ICollectionFixture<PortalTour>
{
    public const string Name = "chromium";
}

/// <summary>Waiting for a page the way every browser test does.</summary>
internal static class PageNavigation
{
    /// <summary>
    /// Waits until the page's address matches <paramref name="glob"/>, that is, until the navigation is committed;
    /// not for its load event, which Playwright at times never reports after a form's POST and redirect (twice in
    /// CI, both times with network idle reported and the step timing out, at 30 s and at 90 s alike). What a test
    /// reads next waits for its own element.
    /// </summary>
    public static Task WaitForAddressAsync(this IPage page, string glob) =>
        page.WaitForURLAsync(glob, new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
}
