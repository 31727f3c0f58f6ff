using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.Data.Writes;
using SecureFallback.Delivery.Queue;

namespace SecureFallback.Delivery.Outcomes;

/// <summary>
/// Tries TLS again for held, unread copies (<c>Pickup:DeliverWhenTlsReturns</c>, every <c>Pickup:RetryTlsEvery</c>
/// for <c>Pickup:RetryTlsFor</c>): each copy <see cref="HeldTlsRetry.IsDue"/> is queued again
/// (<see cref="QueuedRecipient.RetryTlsAfterHold"/>) and the delivery worker sends it over mandatory TLS, or puts it
/// back on hold. Looked for at every <c>Pickup:ExpiryScanInterval</c>.
/// </summary>
internal sealed class HeldTlsRetryWorker(
    IServiceScopeFactory scopeFactory,
    IDeliverySignal signal,
    DatabaseReadiness databaseReadiness,
    IOptions<PickupOptions> options,
    TimeProvider timeProvider,
    ILogger<HeldTlsRetryWorker> logger) : BackgroundService
{
    /// <summary>Copies queued again per scan at most; the next scan takes the rest.</summary>
    private const int BatchSize = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.DeliverWhenTlsReturns)
        {
            return;
        }

        await databaseReadiness.WhenReady.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.ExpiryScanInterval, timeProvider);
        try
        {
            do
            {
                try
                {
                    if (await QueueDueCopiesAsync(stoppingToken) > 0)
                    {
                        signal.Notify(); // the delivery loop tries them now
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    HeldTlsRetryLog.ScanFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <returns>How many held copies were queued to try TLS again.</returns>
    internal async Task<int> QueueDueCopiesAsync(CancellationToken cancellationToken)
    {
        var retry = options.Value.TlsRetry;
        var now = timeProvider.GetUtcNow();
        var triedBefore = now - retry.Every;
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        // A first cut in SQL; HeldTlsRetry.IsDue decides. Copies with a grant ever read are never sent again.
        var candidates = await db.Recipients
            .Where(r => r.Status == RecipientStatus.HeldForPickup && r.PickupLockedAt == null && r.HoldUntil > now
                && (r.TlsRetriedAt ?? r.HeldAt) <= triedBefore
                && db.PickupGrants.Any(g => g.RecipientId == r.Id)
                && !db.PickupGrants.Any(g => g.RecipientId == r.Id && (g.FirstReadAt != null || g.RedeliveryClaimedAt != null)))
            .OrderBy(r => r.Id)
            .Take(BatchSize)
            .ToListAsync(cancellationToken);
        var queued = 0;
        foreach (var recipient in candidates.Where(r => retry.IsDue(r, read: false, now)))
        {
            if (await ClaimAsync(db, recipient, now, cancellationToken))
            {
                queued++;
                HeldTlsRetryLog.Queued(logger, recipient.MessageId, recipient.Address);
            }
        }

        return queued;
    }

    /// <summary>
    /// Claims one copy for delivery: its grants are marked in flight only while none was read (a conditional update
    /// of the grant rows a reading also updates conditionally, so exactly one of the two wins, on PostgreSQL too),
    /// and the recipient is queued in the same transaction. False when a reading, or another instance, came first.
    /// </summary>
    private static async Task<bool> ClaimAsync(SecureFallbackDbContext db, QueuedRecipient recipient, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
        var grants = await db.PickupGrants.CountAsync(g => g.RecipientId == recipient.Id, cancellationToken);
        var claimed = await db.PickupGrants
            .Where(g => g.RecipientId == recipient.Id && g.FirstReadAt == null && g.RedeliveryClaimedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.RedeliveryClaimedAt, now), cancellationToken);
        if (grants == 0 || claimed != grants)
        {
            db.Entry(recipient).State = EntityState.Unchanged;
            return false; // rolled back with the write
        }

        recipient.RetryTlsAfterHold(now);
        var updated = await db.Recipients
            .Where(r => r.Id == recipient.Id && r.Status == RecipientStatus.HeldForPickup && r.LeaseOwner == null)
            .ExecuteUpdateAsync(
                s => s.SetProperty(r => r.Status, RecipientStatus.Queued)
                    .SetProperty(r => r.NextAttemptAt, recipient.NextAttemptAt)
                    .SetProperty(r => r.RetryingTlsAfterHold, true)
                    .SetProperty(r => r.TlsRetriedAt, recipient.TlsRetriedAt),
                cancellationToken);
        if (updated != 1)
        {
            return false;
        }

        await write.CommitAsync(cancellationToken);
        return true;
    }
}

internal static partial class HeldTlsRetryLog
{
    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Held copy of message {MessageId} for {Recipient} queued to try TLS again")]
    public static partial void Queued(ILogger logger, Guid messageId, string recipient);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Error, Message = "Looking for held copies to try over TLS again failed; trying again at the next interval")]
    public static partial void ScanFailed(ILogger logger, Exception exception);
}
