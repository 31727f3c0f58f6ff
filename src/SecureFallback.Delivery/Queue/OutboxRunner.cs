using Microsoft.Extensions.Logging;

namespace SecureFallback.Delivery.Queue;

/// <summary>One outbox of the delivery loop, by name (for the log) and its pass over its flags.</summary>
internal sealed record OutboxPass(string Name, Func<CancellationToken, Task<int>> ProcessAsync);

/// <summary>
/// Runs the outboxes of one round of the delivery loop, one after another, each on its own: an outbox that throws is
/// logged and rests for <see cref="Backoff"/>, and the others run as before. So one row an outbox cannot handle never
/// starves the rest (the held DSN carrying a PIN above all).
/// </summary>
internal sealed class OutboxRunner(TimeProvider timeProvider, ILogger logger)
{
    /// <summary>How long a failed outbox waits before its next try (no tight loop over the row that failed it).</summary>
    public static readonly TimeSpan Backoff = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, DateTimeOffset> _resting = new(StringComparer.Ordinal);

    public async Task RunAsync(IReadOnlyList<OutboxPass> outboxes, CancellationToken cancellationToken)
    {
        foreach (var outbox in outboxes)
        {
            if (_resting.TryGetValue(outbox.Name, out var until) && timeProvider.GetUtcNow() < until)
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
                DeliveryLog.OutboxFailed(logger, outbox.Name, ex);
                _resting[outbox.Name] = timeProvider.GetUtcNow() + Backoff;
            }
        }
    }
}
