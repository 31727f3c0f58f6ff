using Microsoft.Extensions.Logging;

namespace SecureFallback.Delivery.Queue;

/// <summary>One outbox of the delivery loop, by name (for the log) and its pass over its flags.</summary>
internal sealed record OutboxPass(string Name, Func<CancellationToken, Task<int>> ProcessAsync);

/// <summary>
/// Runs the outboxes of one round of the delivery loop, one after another, each on its own: an outbox that throws is
/// logged and rests, and the others run as before. So one row an outbox cannot handle never starves the rest (the
/// held DSN carrying a PIN above all). An outbox that keeps failing rests twice as long each time, from
/// <see cref="Backoff"/> up to <see cref="MaxBackoff"/>, and is logged once per rest rather than every pass; one
/// pass that succeeds starts it over.
/// </summary>
internal sealed class OutboxRunner(TimeProvider timeProvider, ILogger logger)
{
    /// <summary>How long a failed outbox waits before its next try (no tight loop over the row that failed it).</summary>
    public static readonly TimeSpan Backoff = TimeSpan.FromSeconds(5);

    /// <summary>The longest rest of an outbox that keeps failing.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, (DateTimeOffset Until, TimeSpan Length)> _resting = new(StringComparer.Ordinal);

    public async Task RunAsync(IReadOnlyList<OutboxPass> outboxes, CancellationToken cancellationToken)
    {
        foreach (var outbox in outboxes)
        {
            var resting = _resting.TryGetValue(outbox.Name, out var rest);
            if (resting && timeProvider.GetUtcNow() < rest.Until)
            {
                continue;
            }

            try
            {
                await outbox.ProcessAsync(cancellationToken);
                _resting.Remove(outbox.Name);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var next = resting ? TimeSpan.FromTicks(Math.Min(rest.Length.Ticks * 2, MaxBackoff.Ticks)) : Backoff;
                DeliveryLog.OutboxFailed(logger, outbox.Name, (int)next.TotalSeconds, ex);
                _resting[outbox.Name] = (timeProvider.GetUtcNow() + next, next);
            }
        }
    }
}
