using System.Security.Cryptography;
using MimeKit;

namespace SecureFallback.Portal;

/// <summary>
/// What the message page shows of held messages (<see cref="ShownMessage"/>), kept a short while in this process's
/// memory only (never on disk), so a message viewed again is neither read from the store, decrypted and parsed nor
/// run through HtmlSanitizer again: on a 50 KB newsletter that was most of the portal's CPU per view (bench/RESULTS.md,
/// issue 18). An entry is made only from a whole, verified read of the copy, and stands for exactly that sealed copy:
/// it is keyed by the message id and checked against a SHA-256 of the copy's wrapped data key as the database holds it
/// (a fresh random key for every sealing; re-wrapping changes it too). The message page asks only after this
/// request's own access checks passed in the database, in the same query that found the sealed copy still there
/// and read that key (<see cref="HeldMessages.ViewAsync"/>): a revoked, expired, locked, delivered or shredded copy is
/// never served from here, whichever instance changed it. Entries also expire after <see cref="Lifetime"/>, are
/// dropped when the page finds the copy gone (<see cref="Forget"/>), and are bounded in count and size (least
/// recently used go first).
/// </summary>
public sealed class ShownMessageCache : IDisposable
{
    /// <summary>How long an entry lives at most, read or not.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    /// <summary>How often expired entries are dropped, so none stays in memory much past <see cref="Lifetime"/>.</summary>
    private static readonly TimeSpan SweepEvery = Lifetime / 4;

    /// <summary>At most this many entries.</summary>
    public const int MaxEntries = 128;

    /// <summary>At most this many characters in all (16 MiB as UTF-16); a larger single message is not kept.</summary>
    public const long MaxChars = 8L * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recent = new(); // most recently used first
    private readonly MailHtml _mailHtml;
    private readonly TimeProvider _timeProvider;
    private readonly ITimer _sweeper;
    private long _chars;

    public ShownMessageCache(MailHtml mailHtml, TimeProvider timeProvider)
    {
        (_mailHtml, _timeProvider) = (mailHtml, timeProvider);
        // Expired entries leave memory soon after their lifetime even when nothing is read.
        _sweeper = timeProvider.CreateTimer(_ => Sweep(), null, SweepEvery, SweepEvery);
    }

    /// <summary>The number of entries and characters held now.</summary>
    public (int Entries, long Chars) Size
    {
        get
        {
            lock (_lock)
            {
                return (_entries.Count, _chars);
            }
        }
    }

    /// <summary>
    /// What was kept of message <paramref name="messageId"/>, made from the sealed copy whose wrapped data key has the
    /// SHA-256 <paramref name="copy"/>; null when nothing is (or it expired, or was made from another copy). Call only
    /// once this request checked, in the database, the reader's access and that this very copy is still stored.
    /// </summary>
    public ShownMessage? Find(Guid messageId, byte[] copy)
    {
        var now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(messageId, out var node))
            {
                return null;
            }

            if (node.Value.ExpiresAt > now && CryptographicOperations.FixedTimeEquals(node.Value.Copy, copy))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                return node.Value.Shown;
            }

            RemoveLocked(node);
            return null;
        }
    }

    /// <summary>
    /// What the page shows of <paramref name="message"/>, just read whole and verified from the sealed copy of message
    /// <paramref name="messageId"/> whose wrapped data key has the SHA-256 <paramref name="copy"/> (as the database
    /// gave it before the read): made (its HTML sanitized) and kept for <see cref="Find"/>.
    /// </summary>
    public ShownMessage Keep(Guid messageId, byte[] copy, MimeMessage message)
    {
        var shown = ShownMessage.Of(message, _mailHtml);
        if (shown.Chars > MaxChars / 8)
        {
            return shown;
        }

        var now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            SweepLocked(now);
            if (_entries.TryGetValue(messageId, out var raced))
            {
                RemoveLocked(raced);
            }

            _entries[messageId] = _recent.AddFirst(new Entry(messageId, copy, shown, now + Lifetime));
            _chars += shown.Chars;
            while (_entries.Count > MaxEntries || _chars > MaxChars)
            {
                RemoveLocked(_recent.Last!);
            }
        }

        return shown;
    }

    /// <summary>Drops what is kept for message <paramref name="messageId"/> (its copy was revoked, delivered or is gone).</summary>
    public void Forget(Guid messageId)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(messageId, out var node))
            {
                RemoveLocked(node);
            }
        }
    }

    public void Dispose() => _sweeper.Dispose();

    private void Sweep()
    {
        lock (_lock)
        {
            SweepLocked(_timeProvider.GetUtcNow());
        }
    }

    private void SweepLocked(DateTimeOffset now)
    {
        for (var node = _recent.Last; node is not null;)
        {
            var previous = node.Previous;
            if (node.Value.ExpiresAt <= now)
            {
                RemoveLocked(node);
            }

            node = previous;
        }
    }

    private void RemoveLocked(LinkedListNode<Entry> node)
    {
        _recent.Remove(node);
        _entries.Remove(node.Value.MessageId);
        _chars -= node.Value.Shown.Chars;
    }

    private sealed record Entry(Guid MessageId, byte[] Copy, ShownMessage Shown, DateTimeOffset ExpiresAt);
}
