using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Data.Content;
using SecureFallback.Data.Writes;
using SecureFallback.Delivery.Notices;

using SecureFallback.Delivery.Queue;

namespace SecureFallback.Delivery.Outboxes;

/// <summary>
/// Turns "DSN owed" flags into queued DSN messages: one DSN per original message for all its recipients
/// flagged so far, queued and un-flagged in one transaction, so a crash neither loses nor doubles a DSN.
/// </summary>
internal sealed class DsnOutbox(
    IServiceScopeFactory scopeFactory,
    IContentProtector protector,
    NoticeSigner signer,
    IDeliverySignal signal,
    IOptions<DeliveryOptions> deliveryOptions,
    IOptions<NoticeOptions> noticeOptions,
    TimeProvider timeProvider,
    ILogger<DsnOutbox> logger)
{
    public async Task<int> ProcessAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        // Wait until every recipient of a message had its first attempt, so one DSN covers all early failures
        // of the message rather than one DSN per recipient domain.
        var messageIds = await db.Recipients
            .Where(r => r.DsnPending)
            .Select(r => r.MessageId)
            .Distinct()
            .Where(id => !db.Recipients.Any(other => other.MessageId == id && other.Status == RecipientStatus.Queued && other.AttemptCount == 0))
            .OrderBy(id => id)
            .Take(200)
            .ToListAsync(cancellationToken);
        if (messageIds.Count == 0)
        {
            return 0;
        }

        var composer = new DsnComposer(deliveryOptions.Value.HeloName, MailboxAddress.Parse(noticeOptions.Value.From), timeProvider);

        foreach (var messageId in messageIds)
        {
            var original = await db.Messages.Include(m => m.Recipients).SingleAsync(m => m.Id == messageId, cancellationToken);
            var failed = original.Recipients.Where(r => r.DsnPending).OrderBy(r => r.Id).ToList();
            var headers = await NoticeQueue.ReadHeadersAsync(scope.ServiceProvider.GetRequiredService<ISealedContentReader>(), messageId, logger, cancellationToken);
            var dsn = TryCompose(composer, original, failed, headers);
            var now = timeProvider.GetUtcNow();

            await using var write = await db.BeginWriteAsync(WriteDurability.Relaxed, cancellationToken);
            if (!await OutboxClaims.TakeDsnFlagsAsync(db, failed, cancellationToken))
            {
                continue; // another instance is reporting these recipients; the transaction rolls back
            }

            var dsnId = dsn is null ? Guid.Empty : NoticeQueue.Enqueue(db, protector, signer, dsn, original.EnvelopeFrom, MessageKind.DeliveryStatusNotification, now);
            failed.ForEach(r => r.DsnQueued());
            await db.SaveChangesAsync(cancellationToken);
            await write.PurgeSettledContentAsync([original], now, cancellationToken);
            await write.CommitAsync(cancellationToken);
            if (dsn is not null)
            {
                DeliveryLog.DsnQueued(logger, dsnId, messageId, failed.Count);
            }
        }

        signal.Notify();
        return messageIds.Count;
    }

    /// <summary>Builds the DSN, or gives up (logged) when the envelope sender is not an address MimeKit can write to.</summary>
    private MimeMessage? TryCompose(DsnComposer composer, QueuedMessage original, List<QueuedRecipient> failed, HeaderList headers)
    {
        try
        {
            return composer.Compose(original, failed, headers);
        }
        catch (Exception ex) when (ex is ParseException or FormatException)
        {
            // Clearing the flag anyway keeps one odd sender from blocking every DSN behind it.
            DeliveryLog.DsnUndeliverable(logger, original.Id, ex);
            return null;
        }
    }

}
