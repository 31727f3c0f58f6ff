namespace SecureFallback.Delivery.Transport;

/// <summary>
/// Keeps an idle TLS session per next hop for a few seconds, so the next batch to the same host skips the
/// TCP connect, EHLO, STARTTLS and handshake (as Postfix's connection cache does). Sessions are retired after
/// <see cref="MaxIdle"/> without use or <see cref="MaxAge"/> in total.
/// </summary>
internal sealed class SessionCache(TimeProvider timeProvider) : IAsyncDisposable
{
    internal static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(5);
    internal static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    /// <summary>The cache key of a next hop: host name and port.</summary>
    public static string KeyOf(Routing.NextHop hop) => $"{hop.HostName.ToLowerInvariant()}:{hop.Port}";

    private readonly Dictionary<string, Entry> _idle = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Takes the cached session for next hop <paramref name="key"/>, if there is a usable one.</summary>
    public SecureSmtpSession? TryTake(string key)
    {
        Entry? entry;
        lock (_lock)
        {
            if (!_idle.Remove(key, out entry))
            {
                return null;
            }
        }

        if (entry.Session.IsUsable && timeProvider.GetUtcNow() - entry.Session.OpenedAt < MaxAge)
        {
            return entry.Session;
        }

        _ = entry.Session.DisposeAsync().AsTask();
        return null;
    }

    /// <summary>Keeps <paramref name="session"/> for the next batch to next hop <paramref name="key"/>, or closes it.</summary>
    public async Task ReturnAsync(string key, SecureSmtpSession session)
    {
        if (!session.IsUsable)
        {
            await session.DisposeAsync();
            return;
        }

        Entry? replaced;
        lock (_lock)
        {
            _idle.Remove(key, out replaced);
            _idle[key] = new Entry(session, timeProvider.GetUtcNow());
        }

        if (replaced is not null)
        {
            await replaced.Session.DisposeAsync();
        }
    }

    /// <summary>Closes sessions that sat idle too long.</summary>
    public async Task RetireIdleAsync()
    {
        var now = timeProvider.GetUtcNow();
        List<Entry> stale;
        lock (_lock)
        {
            stale = _idle.Where(p => now - p.Value.IdleSince > MaxIdle).Select(p => p.Value).ToList();
            foreach (var key in _idle.Where(p => now - p.Value.IdleSince > MaxIdle).Select(p => p.Key).ToList())
            {
                _idle.Remove(key);
            }
        }

        foreach (var entry in stale)
        {
            await entry.Session.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Entry> all;
        lock (_lock)
        {
            all = [.. _idle.Values];
            _idle.Clear();
        }

        foreach (var entry in all)
        {
            await entry.Session.DisposeAsync();
        }
    }

    private sealed record Entry(SecureSmtpSession Session, DateTimeOffset IdleSince);
}
