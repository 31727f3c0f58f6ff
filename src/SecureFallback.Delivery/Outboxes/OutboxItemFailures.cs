using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace SecureFallback.Delivery.Outboxes;

/// <summary>
/// Per-item failure handling of one outbox. An item whose composing or queuing throws is rolled back and counted,
/// and the outbox goes on with the items behind it; after <see cref="MaxFailures"/> failures in a row the item is
/// set aside (its flag cleared), logged by id only, so one item the outbox cannot handle never wedges it.
/// The counts live in memory with the (singleton) outbox: a restart gives each item its tries again.
/// </summary>
internal sealed class OutboxItemFailures(string outbox, ILogger logger)
{
    /// <summary>Failures in a row after which an item is set aside.</summary>
    public const int MaxFailures = 5;

    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);

    /// <summary>Runs one item's work; true when it went through, false when it failed (and was maybe set aside).</summary>
    /// <param name="db">The outbox's context: what the failed work tracked is dropped, so later items never save it.</param>
    /// <param name="item">The item's ids, for the log (never content).</param>
    /// <param name="work">Takes the item's claim and queues its mail, in a transaction of its own.</param>
    /// <param name="setAside">Clears the item's flag, so the outbox stops trying it.</param>
    /// <param name="cancellationToken">Stops the work; a cancelled item is not counted as failed.</param>
    public async Task<bool> TryAsync(DbContext db, string item, Func<Task> work, Func<Task> setAside, CancellationToken cancellationToken)
    {
        try
        {
            await work();
            _failures.Remove(item);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            db.ChangeTracker.Clear();
            var failures = _failures[item] = _failures.GetValueOrDefault(item) + 1;
            OutboxItemLog.Failed(logger, outbox, item, failures, ex.GetType().Name);
            if (failures >= MaxFailures)
            {
                await setAside();
                _failures.Remove(item);
                OutboxItemLog.SetAside(logger, outbox, item, failures);
            }

            return false;
        }
    }
}

internal static partial class OutboxItemLog
{
    // The exception's type only: its message may quote the sender's header (content).
    [LoggerMessage(EventId = 3015, Level = LogLevel.Warning, Message = "The {Outbox} outbox failed on {Item} ({Failures} time(s) in a row, {Error}); the items behind it go on")]
    public static partial void Failed(ILogger logger, string outbox, string item, int failures, string error);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Warning, Message = "The {Outbox} outbox set {Item} aside after {Failures} failures: its flag is cleared and it is not sent")]
    public static partial void SetAside(ILogger logger, string outbox, string item, int failures);
}
