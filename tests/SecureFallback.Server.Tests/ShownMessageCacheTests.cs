using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SecureFallback.Portal;

namespace SecureFallback.Server.Tests;

/// <summary>
/// What the message page shows, kept in memory (issue 18): an entry stands only for the sealed copy it was read from
/// (the SHA-256 of its wrapped data key), lives at most <see cref="ShownMessageCache.Lifetime"/>, and the whole is
/// bounded in count and characters.
/// </summary>
public sealed class ShownMessageCacheTests
{
    private const string Html = "<p>statement</p><script>alert(1)</script><table><tr><td>1.00</td></tr></table>";

    [Fact]
    public void Keep_Sanitizes_AndFindGivesItBack_ForTheSameCopyOnly()
    {
        using var cache = NewCache(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var (id, copy) = (Guid.NewGuid(), Copy());

        var kept = cache.Keep(id, copy, Message(Html));

        Assert.DoesNotContain("<script", kept.CleanHtml, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("statement", kept.CleanHtml);
        Assert.Null(kept.TextBody); // the page shows the HTML
        Assert.Same(kept, cache.Find(id, (byte[])copy.Clone()));
        Assert.Null(cache.Find(id, Copy())); // another sealing (or a re-wrapped key) of that message: read it again
        Assert.Null(cache.Find(id, copy)); // and the old entry is gone
    }

    [Fact]
    public void Keep_AMessageWithoutHtml_KeepsItsText_AndTheAttachmentsNames()
    {
        using var cache = NewCache(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var builder = new BodyBuilder { TextBody = "plain-text-marker" };
        builder.Attachments.Add("../../report.pdf", [1, 2, 3]);
        var message = Message(null);
        message.Body = builder.ToMessageBody();

        var kept = cache.Keep(Guid.NewGuid(), Copy(), message);

        Assert.Null(kept.CleanHtml);
        Assert.Equal("plain-text-marker", kept.TextBody);
        Assert.Equal(["report.pdf"], kept.Attachments);
        Assert.Equal("Statement", kept.Subject);
    }

    [Fact]
    public void Entries_LeaveMemoryWithinALifetime_EvenWhenNothingIsRead()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cache = NewCache(clock);
        cache.Keep(Guid.NewGuid(), Copy(), Message(Html));

        clock.Advance(ShownMessageCache.Lifetime);

        Assert.Equal((0, 0L), cache.Size);
    }

    [Fact]
    public void AnEntryMadeBetweenSweeps_LeavesMemory_WithinAQuarterLifetimeOfItsExpiry()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cache = NewCache(clock);
        clock.Advance(TimeSpan.FromSeconds(1)); // just after the timer started: the worst case for a fixed sweep
        cache.Keep(Guid.NewGuid(), Copy(), Message(Html));

        // Second by second, as a real clock runs: each sweep sees its own time, not the end of one long jump.
        for (var elapsed = TimeSpan.Zero; elapsed < ShownMessageCache.Lifetime + (ShownMessageCache.Lifetime / 4); elapsed += TimeSpan.FromSeconds(1))
        {
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal((0, 0L), cache.Size);
    }

    [Fact]
    public void Find_AfterTheLifetime_FindsNothing()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cache = NewCache(clock);
        var (id, copy) = (Guid.NewGuid(), Copy());
        var kept = cache.Keep(id, copy, Message(Html));

        clock.Advance(ShownMessageCache.Lifetime - TimeSpan.FromSeconds(1));
        Assert.Same(kept, cache.Find(id, copy));
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Null(cache.Find(id, copy));
    }

    [Fact]
    public void Forget_DropsTheEntry()
    {
        using var cache = NewCache(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var (id, copy) = (Guid.NewGuid(), Copy());
        cache.Keep(id, copy, Message(Html));

        cache.Forget(id);

        Assert.Equal((0, 0L), cache.Size);
        Assert.Null(cache.Find(id, copy));
    }

    [Fact]
    public void Entries_AreBoundedInCount_AndInCharacters_LeastRecentlyUsedFirst()
    {
        using var cache = NewCache(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var (kept, keptCopy) = (Guid.NewGuid(), Copy());
        var keptShown = cache.Keep(kept, keptCopy, Message(Html));
        for (var i = 0; i < ShownMessageCache.MaxEntries + 10; i++)
        {
            cache.Keep(Guid.NewGuid(), Copy(), Message(Html + i));
            Assert.NotNull(cache.Find(kept, keptCopy)); // used all along: never the one to go
        }

        Assert.Equal(ShownMessageCache.MaxEntries, cache.Size.Entries);
        Assert.Same(keptShown, cache.Find(kept, keptCopy));

        var large = "<p>" + new string('x', (int)(ShownMessageCache.MaxChars / 10)) + "</p>";
        for (var i = 0; i < 12; i++)
        {
            cache.Keep(Guid.NewGuid(), Copy(), Message(large + i));
        }

        Assert.InRange(cache.Size.Chars, 0, ShownMessageCache.MaxChars);
        Assert.True(cache.Size.Entries < ShownMessageCache.MaxEntries);

        var (huge, hugeCopy) = (Guid.NewGuid(), Copy());
        Assert.NotNull(cache.Keep(huge, hugeCopy, Message("<p>" + new string('y', (int)(ShownMessageCache.MaxChars / 4)) + "</p>")).CleanHtml);
        Assert.Null(cache.Find(huge, hugeCopy)); // shown, but too large to keep
    }

    [Fact]
    public void AnAttachmentsName_CountsItsObjectToo_SoManyTinyNamesCannotOutgrowTheBound()
    {
        // A hostile sender's 25 MB message of half a million empty parts named "a": each name is a string object and
        // a list slot (about 32 bytes on 64-bit), not the 2 bytes of its one character.
        var shown = new ShownMessage(null, "", DateTimeOffset.UnixEpoch, null, null, [.. Enumerable.Repeat("a", 1000)]);

        Assert.InRange(shown.Chars, 1000 * 16, long.MaxValue);
    }

    private static ShownMessageCache NewCache(FakeTimeProvider clock) => new(new MailHtml(), clock);

    /// <summary>The SHA-256 of a fresh wrapped key, as <c>HeldMessages.ViewAsync</c> gives it.</summary>
    private static byte[] Copy() => SHA256.HashData(RandomNumberGenerator.GetBytes(60));

    private static MimeMessage Message(string? html)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@sender.test"));
        message.Subject = "Statement";
        message.Body = new BodyBuilder { HtmlBody = html, TextBody = "text-marker" }.ToMessageBody();
        return message;
    }
}
