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

namespace SecureFallback.Delivery.Outboxes;

/// <summary>
/// Turns "read receipt owed" flags, set by the portal with the first reading, into queued MDNs to the sender.
/// Receipts travel like DSNs: over mandatory TLS, from the null sender.
/// </summary>
internal sealed class ReadReceiptOutbox(
    IServiceScopeFactory scopeFactory,
    IContentProtector protector,
    NoticeSigner signer,
    IDeliverySignal signal,
    IOptions<DeliveryOptions> deliveryOptions,
    IOptions<NoticeOptions> noticeOptions,
    TimeProvider timeProvider,
    ILogger<ReadReceiptOutbox> logger)
{
    public async Task<int> ProcessAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var grants = await db.PickupGrants.Where(g => g.ReadReceiptPending).OrderBy(g => g.Id).Take(200).ToListAsync(cancellationToken);
        if (grants.Count == 0)
        {
            return 0;
        }

        var composer = new ReadReceiptComposer(deliveryOptions.Value.HeloName, MailboxAddress.Parse(noticeOptions.Value.From), timeProvider);
        foreach (var grant in grants)
        {
            var sender = await db.Messages.Where(m => m.Id == grant.MessageId).Select(m => m.EnvelopeFrom).SingleAsync(cancellationToken);
            var now = timeProvider.GetUtcNow();
            MimeMessage? mdn = null;
            if (sender.Length > 0 && EnvelopeMailbox.TryCreate(sender, out _)) // else no receipt: nobody to address it to
            {
                var headers = await NoticeQueue.ReadHeadersAsync(scope.ServiceProvider.GetRequiredService<ISealedContentReader>(), grant.MessageId, logger, cancellationToken);
                mdn = composer.Compose(sender, grant.Address, headers, grant.FirstReadAt ?? now);
            }

            await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
            if (!await OutboxClaims.TakeReadReceiptFlagAsync(db, grant, cancellationToken))
            {
                continue; // another instance is sending this receipt; the transaction rolls back
            }

            if (mdn is not null)
            {
                NoticeQueue.Enqueue(db, protector, signer, mdn, sender, MessageKind.ReadReceipt, now);
            }

            grant.ReadReceiptPending = false;
            await db.SaveChangesAsync(cancellationToken);
            await write.CommitAsync(cancellationToken);
        }

        signal.Notify();
        return grants.Count;
    }
}
