using Microsoft.Extensions.Time.Testing;
using SecureFallback.Portal;

namespace SecureFallback.Server.Tests;

/// <summary>
/// The sanitized HTML kept in memory (issue 18): an entry stands only for the exact source it was made from, lives
/// at most <see cref="CleanHtmlCache.Lifetime"/>, and the whole is bounded in count and characters.
/// </summary>
public sealed class CleanHtmlCacheTests
{
    private const string Html = "<p>statement</p><script>alert(1)</script><table><tr><td>1.00</td></tr></table>";

    [Fact]
    public void Clean_SameSourceAgain_IsServedFromMemory_AndSanitized()
    {
        using var cache = new CleanHtmlCache(new MailHtml(), new FakeTimeProvider(DateTimeOffset.UtcNow));
        var id = Guid.NewGuid();

        var first = cache.Clean(id, Html);
        var second = cache.Clean(id, Html);

        Assert.DoesNotContain("<script", first, StringComparison.OrdinalIgnoreCase);
        Assert.Same(first, second);
    }

    [Fact]
    public void Clean_OtherSourceUnderTheSameId_IsSanitizedAfresh()
    {
        using var cache = new CleanHtmlCache(new MailHtml(), new FakeTimeProvider(DateTimeOffset.UtcNow));
        var id = Guid.NewGuid();
        cache.Clean(id, Html);

        var other = cache.Clean(id, "<p>other-source</p>");

        Assert.Contains("other-source", other);
        Assert.DoesNotContain("statement", other);
    }

    [Fact]
    public void Entries_LeaveMemoryWithinALifetime_EvenWhenNothingIsRead()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cache = new CleanHtmlCache(new MailHtml(), clock);
        cache.Clean(Guid.NewGuid(), Html);

        clock.Advance(CleanHtmlCache.Lifetime);

        Assert.Equal((0, 0L), cache.Size);
    }

    [Fact]
    public void AnEntryMadeBetweenSweeps_LeavesMemory_WithinAQuarterLifetimeOfItsExpiry()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cache = new CleanHtmlCache(new MailHtml(), clock);
        clock.Advance(TimeSpan.FromSeconds(1)); // just after the timer started: the worst case for a fixed sweep
        cache.Clean(Guid.NewGuid(), Html);

        // Second by second, as a real clock runs: each sweep sees its own time, not the end of one long jump.
        for (var elapsed = TimeSpan.Zero; elapsed < CleanHtmlCache.Lifetime + (CleanHtmlCache.Lifetime / 4); elapsed += TimeSpan.FromSeconds(1))
        {
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal((0, 0L), cache.Size);
    }

    [Fact]
    public void Clean_AfterTheLifetime_SanitizesAgain()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cache = new CleanHtmlCache(new MailHtml(), clock);
        var id = Guid.NewGuid();
        var first = cache.Clean(id, Html);

        clock.Advance(CleanHtmlCache.Lifetime - TimeSpan.FromSeconds(1));
        Assert.Same(first, cache.Clean(id, Html));
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.NotSame(first, cache.Clean(id, Html));
    }

    [Fact]
    public void Forget_DropsTheEntry()
    {
        using var cache = new CleanHtmlCache(new MailHtml(), new FakeTimeProvider(DateTimeOffset.UtcNow));
        var id = Guid.NewGuid();
        var first = cache.Clean(id, Html);

        cache.Forget(id);

        Assert.Equal((0, 0L), cache.Size);
        Assert.NotSame(first, cache.Clean(id, Html));
    }

    [Fact]
    public void Entries_AreBoundedInCount_AndInCharacters_LeastRecentlyUsedFirst()
    {
        using var cache = new CleanHtmlCache(new MailHtml(), new FakeTimeProvider(DateTimeOffset.UtcNow));
        var kept = Guid.NewGuid();
        var keptClean = cache.Clean(kept, Html);
        for (var i = 0; i < CleanHtmlCache.MaxEntries + 10; i++)
        {
            cache.Clean(Guid.NewGuid(), Html + i);
            cache.Clean(kept, Html); // used all along: never the one to go
        }

        Assert.Equal(CleanHtmlCache.MaxEntries, cache.Size.Entries);
        Assert.Same(keptClean, cache.Clean(kept, Html));

        var large = "<p>" + new string('x', (int)(CleanHtmlCache.MaxChars / 10)) + "</p>";
        for (var i = 0; i < 12; i++)
        {
            cache.Clean(Guid.NewGuid(), large + i);
        }

        Assert.InRange(cache.Size.Chars, 0, CleanHtmlCache.MaxChars);
        Assert.True(cache.Size.Entries < CleanHtmlCache.MaxEntries);
    }
}
