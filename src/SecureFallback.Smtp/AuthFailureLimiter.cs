using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace SecureFallback.Smtp;

/// <summary>
/// Counts failed AUTH attempts per client address over a sliding window, so password guessing across many
/// sessions is stopped (SmtpServer only limits attempts within one session).
/// </summary>
internal sealed class AuthFailureLimiter(IOptions<IntakeOptions> options, TimeProvider time)
{
    private const int TrimAbove = 10_000;
    private readonly ConcurrentDictionary<IPAddress, Queue<DateTimeOffset>> _failures = new();

    public bool IsLimited(IPAddress address)
    {
        if (!_failures.TryGetValue(address, out var failures))
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

        var failures = _failures.GetOrAdd(address, _ => new Queue<DateTimeOffset>());
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
        foreach (var (address, failures) in _failures)
        {
            lock (failures)
            {
                Expire(failures);
                if (failures.Count == 0)
                {
                    _failures.TryRemove(address, out _);
                }
            }
        }
    }
}
