using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using SecureFallback.Core;

namespace SecureFallback.Smtp;

/// <summary>
/// Counts failed AUTH attempts per client network (<see cref="ClientNetwork"/>: an IPv4 address, an IPv6 /64) over a
/// sliding window, so password guessing across many sessions, or many addresses of one LAN, is stopped (SmtpServer
/// only limits attempts within one session).
/// </summary>
internal sealed class AuthFailureLimiter(IOptions<IntakeOptions> options, TimeProvider time)
{
    private const int TrimAbove = 10_000;
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _failures = new();

    public bool IsLimited(IPAddress address)
    {
        if (!_failures.TryGetValue(ClientNetwork.KeyOf(address), out var failures))
        {
            return false;
        }

        lock (failures)
        {
            Expire(failures);
            return failures.Count >= options.Value.AuthFailuresPerAddress;
        }
    }

    public void RecordFailure(IPAddress address)
    {
        if (_failures.Count > TrimAbove)
        {
            TrimStale();
        }

        var failures = _failures.GetOrAdd(ClientNetwork.KeyOf(address), _ => new Queue<DateTimeOffset>());
        lock (failures)
        {
            Expire(failures);
            failures.Enqueue(time.GetUtcNow());
        }
    }

    private void Expire(Queue<DateTimeOffset> failures)
    {
        var cutoff = time.GetUtcNow() - options.Value.AuthFailureWindow;
        while (failures.TryPeek(out var oldest) && oldest <= cutoff)
        {
            failures.Dequeue();
        }
    }

    private void TrimStale()
    {
        foreach (var (network, failures) in _failures)
        {
            lock (failures)
            {
                Expire(failures);
                if (failures.Count == 0)
                {
                    _failures.TryRemove(network, out _);
                }
            }
        }
    }
}
