using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SecureFallback.Portal;

/// <summary>
/// Sanitized HTML of held messages, kept a short while in this process's memory only (never on disk), so a message
/// read again is not run through HtmlSanitizer again: on a 50 KB newsletter that was most of the portal's CPU per
/// view (bench/RESULTS.md, issue 18). Keyed by the stored content (message id) and checked against a SHA-256 of the
/// source HTML, so an entry only ever stands for exactly the HTML it was made from. The message page asks only after
/// this request's access checks passed and the copy was read from the store (so a revoked, delivered or shredded
/// copy is never served from here); entries also expire after <see cref="Lifetime"/>, are dropped when the page finds
/// the copy gone (<see cref="Forget"/>), and are bounded in count and size (least recently used go first).
/// </summary>
public sealed class CleanHtmlCache : IDisposable
{
    /// <summary>How long an entry lives at most, read or not: it never outlives its copy's content by more.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    /// <summary>How often expired entries are dropped, so none stays in memory much past <see cref="Lifetime"/>.</summary>
    private static readonly TimeSpan SweepEvery = Lifetime / 4;

    /// <summary>At most this many entries.</summary>
    public const int MaxEntries = 128;

    /// <summary>At most this many characters of sanitized HTML in all (16 MiB as UTF-16); a larger single result is not kept.</summary>
    public const long MaxChars = 8L * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recent = new(); // most recently used first
    private readonly MailHtml _mailHtml;
    private readonly TimeProvider _timeProvider;
    private readonly ITimer _sweeper;
    private long _chars;

    public CleanHtmlCache(MailHtml mailHtml, TimeProvider timeProvider)
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
    /// <paramref name="html"/>, the HTML part of message <paramref name="messageId"/> as just read from the store,
    /// sanitized (<see cref="MailHtml.Clean"/>): from memory when the same source was sanitized a short while ago.
    /// Call only once the reader's access to the copy was checked in this request.
    /// </summary>
    public string Clean(Guid messageId, string html)
    {
        var hash = SHA256.HashData(MemoryMarshal.AsBytes(html.AsSpan()));
        var now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            SweepLocked(now);
            if (_entries.TryGetValue(messageId, out var node))
            {
                if (node.Value.ExpiresAt > now && CryptographicOperations.FixedTimeEquals(node.Value.SourceHash, hash))
                {
                    _recent.Remove(node);
                    _recent.AddFirst(node);
                    return node.Value.Clean;
                }

                RemoveLocked(node);
            }
        }

        var clean = _mailHtml.Clean(html);
        if (clean.Length > MaxChars / 8)
        {
            return clean;
        }

        lock (_lock)
        {
            if (_entries.TryGetValue(messageId, out var raced))
            {
                RemoveLocked(raced);
            }

            _entries[messageId] = _recent.AddFirst(new Entry(messageId, hash, clean, now + Lifetime));
            _chars += clean.Length;
            while (_entries.Count > MaxEntries || _chars > MaxChars)
            {
                RemoveLocked(_recent.Last!);
            }
        }

        return clean;
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
        _chars -= node.Value.Clean.Length;
    }

    private sealed record Entry(Guid MessageId, byte[] SourceHash, string Clean, DateTimeOffset ExpiresAt);
}
