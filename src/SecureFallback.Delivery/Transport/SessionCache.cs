namespace SecureFallback.Delivery.Transport;

/// <summary>
/// Keeps idle TLS sessions per next hop (as many as the connections a domain may use) for a few seconds, so the
/// next batch to the same host skips the TCP connect, EHLO, STARTTLS and handshake (as Postfix's connection cache
/// does). Sessions are retired after <see cref="MaxIdle"/> without use or <see cref="MaxAge"/> in total.
/// </summary>
internal sealed class SessionCache(TimeProvider timeProvider, Microsoft.Extensions.Options.IOptions<DeliveryOptions> options) : IAsyncDisposable
{
    internal static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(5);
    internal static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    /// <summary>The cache key of a next hop: host name and port.</summary>
    /// <remarks>
    /// Whether the host's DNS answers were DNSSEC-authenticated is part of the key: only then was its TLSA looked
    /// up, so a session opened for a domain with unsigned DNS must never carry mail of one whose host has DANE.
    /// </remarks>
    public static string KeyOf(Routing.NextHop hop) => $"{hop.HostName.ToLowerInvariant()}:{hop.Port}:{(hop.DnssecSecure ? "dnssec" : "insecure")}";

    private readonly Dictionary<string, List<Entry>> _idle = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Takes the cached session for next hop <paramref name="key"/>, if there is a usable one.</summary>
    public SecureSmtpSession? TryTake(string key)
    {
        Entry entry;
        lock (_lock)
        {
            if (!_idle.TryGetValue(key, out var sessions) || sessions.Count == 0)
            {
                return null;
            }

            entry = sessions[^1]; // the most recently used: the likeliest to be still open at the other end
            sessions.RemoveAt(sessions.Count - 1);
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

        Entry? replaced = null;
        lock (_lock)
        {
            if (!_idle.TryGetValue(key, out var sessions))
            {
                _idle[key] = sessions = [];
            }

            sessions.Add(new Entry(session, timeProvider.GetUtcNow()));
            if (sessions.Count > options.Value.ConnectionsPerDomain)
            {
                replaced = sessions[0];
                sessions.RemoveAt(0);
            }
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
            stale = [.. _idle.Values.SelectMany(sessions => sessions.Where(e => now - e.IdleSince > MaxIdle))];
            foreach (var sessions in _idle.Values)
            {
                sessions.RemoveAll(e => now - e.IdleSince > MaxIdle);
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
            all = [.. _idle.Values.SelectMany(sessions => sessions)];
            _idle.Clear();
        }

        foreach (var entry in all)
        {
            await entry.Session.DisposeAsync();
        }
    }

    private sealed record Entry(SecureSmtpSession Session, DateTimeOffset IdleSince);
}
