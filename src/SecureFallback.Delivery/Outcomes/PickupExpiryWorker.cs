using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Core.Telemetry;
using SecureFallback.Data;
using SecureFallback.Data.Writes;
using SecureFallback.Delivery.Outboxes;
using SecureFallback.Delivery.Queue;

namespace SecureFallback.Delivery.Outcomes;

/// <summary>
/// Ends holds whose retention ran out: the recipient becomes <see cref="RecipientStatus.PickupExpired"/>, the sender
/// is owed a report if the copy was never read, and once nothing else needs the message its ciphertext and wrapped
/// key are deleted.
/// Time comes from <see cref="TimeProvider"/> so tests control it.
/// </summary>
internal sealed class PickupExpiryWorker(
    IServiceScopeFactory scopeFactory,
    IDeliverySignal signal,
    DatabaseReadiness databaseReadiness,
    IOptions<PickupOptions> options,
    TimeProvider timeProvider,
    SecureFallbackMetrics metrics,
    ILogger<PickupExpiryWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await databaseReadiness.WhenReady.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.ExpiryScanInterval, timeProvider);
        try
        {
            do
            {
                try
                {
                    if (await ExpireDueHoldsAsync(stoppingToken) > 0)
                    {
                        signal.Notify(); // the delivery loop turns the owed reports into DSNs
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    PickupLog.ExpiryScanFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <returns>How many holds ended.</returns>
    internal async Task<int> ExpireDueHoldsAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var now = timeProvider.GetUtcNow();
        var messageIds = await db.Recipients
            .Where(r => r.Status == RecipientStatus.HeldForPickup && r.HoldUntil <= now)
            .Select(r => r.MessageId)
            .Distinct()
            .OrderBy(id => id)
            .Take(500)
            .ToListAsync(cancellationToken);
        if (messageIds.Count == 0)
        {
            return 0;
        }

        var messages = await db.Messages.Include(m => m.Recipients).Where(m => messageIds.Contains(m.Id)).ToListAsync(cancellationToken);
        var readRecipients = (await db.PickupGrants
            .Where(g => messageIds.Contains(g.MessageId) && g.FirstReadAt != null)
            .Select(g => g.RecipientId)
            .ToListAsync(cancellationToken)).ToHashSet();
        var expired = 0;
        var unread = 0;
        var ending = new List<QueuedRecipient>();
        foreach (var message in messages)
        {
            foreach (var recipient in message.Recipients.Where(r => r.Status == RecipientStatus.HeldForPickup && r.HoldUntil <= now))
            {
                ending.Add(recipient);
                var wasRead = readRecipients.Contains(recipient.Id);
                // Read: the sender already has the read receipt, and the copy simply goes. Unread: the sender is told.
                recipient.ExpireHold(wasRead, now);
                expired++;
                if (wasRead)
                {
                    PickupLog.HoldEnded(logger, message.Id, recipient.Address);
                }
                else
                {
                    PickupLog.HoldExpired(logger, message.Id, recipient.Address);
                    unread++;
                }
            }
        }

        await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
        if (!await OutboxClaims.TakeExpiredHoldsAsync(db, ending, cancellationToken))
        {
            return 0; // another instance's scan ended some of these holds first; the next scan takes the rest
        }

        await db.SaveChangesAsync(cancellationToken);
        await write.PurgeSettledContentAsync(messages, now, cancellationToken);
        await write.CommitAsync(cancellationToken);
        metrics.Expired(unread);

        return expired;
    }
}

internal static partial class PickupLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Hold of message {MessageId} for {Recipient} expired unread")]
    public static partial void HoldExpired(ILogger logger, Guid messageId, string recipient);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Hold of message {MessageId} for {Recipient} ended after it was read; copy destroyed")]
    public static partial void HoldEnded(ILogger logger, Guid messageId, string recipient);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Scanning for expired holds failed; trying again at the next interval")]
    public static partial void ExpiryScanFailed(ILogger logger, Exception exception);
}
