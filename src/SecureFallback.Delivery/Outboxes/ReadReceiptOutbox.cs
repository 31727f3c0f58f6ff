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
/// Turns "read receipt owed" flags, set by the portal with the first reading, into queued MDNs to the sender, and
/// "opened again from another network" flags into one notice each. Both travel like DSNs: over mandatory TLS, from
/// the null sender.
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
        var grants = await db.PickupGrants.Where(g => g.ReadReceiptPending || g.ReopenNoticePending).OrderBy(g => g.Id).Take(200).ToListAsync(cancellationToken);
        if (grants.Count == 0)
        {
            return 0;
        }

        var from = MailboxAddress.Parse(noticeOptions.Value.From);
        var composer = new ReadReceiptComposer(deliveryOptions.Value.HeloName, from, timeProvider);
        var reports = new ReaderReportComposer(deliveryOptions.Value.HeloName, from, timeProvider);
        foreach (var grant in grants)
        {
            var sender = await db.Messages.Where(m => m.Id == grant.MessageId).Select(m => m.EnvelopeFrom).SingleAsync(cancellationToken);
            var now = timeProvider.GetUtcNow();
            var first = new Reading(grant.FirstReadAt ?? now, grant.FirstReadNetwork, grant.FirstReadBrowser, grant.FirstReadAccountCreatedHere);
            var (receiptOwed, reopenOwed) = (grant.ReadReceiptPending, grant.ReopenNoticePending);
            var mails = new List<MimeMessage>();
            if (sender.Length > 0 && EnvelopeMailbox.TryCreate(sender, out _)) // else nobody to address them to
            {
                var headers = await NoticeQueue.ReadHeadersAsync(scope.ServiceProvider.GetRequiredService<ISealedContentReader>(), grant.MessageId, logger, cancellationToken);
                if (receiptOwed)
                {
                    mails.Add(composer.Compose(sender, grant.Address, headers, first));
                }

                if (reopenOwed)
                {
                    var again = new Reading(grant.LastReadAt ?? now, grant.LastReadNetwork, grant.LastReadBrowser, grant.FirstReadAccountCreatedHere);
                    mails.Add(reports.ComposeReopened(sender, grant.Address, headers, first, again));
                }
            }

            await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
            if (!await OutboxClaims.TakeReadReceiptFlagsAsync(db, grant, receiptOwed, reopenOwed, cancellationToken))
            {
                continue; // another instance is sending these; the transaction rolls back
            }

            foreach (var mail in mails)
            {
                NoticeQueue.Enqueue(db, protector, signer, mail, sender, MessageKind.ReadReceipt, now);
            }

            (grant.ReadReceiptPending, grant.ReopenNoticePending) = (grant.ReadReceiptPending && !receiptOwed, grant.ReopenNoticePending && !reopenOwed);
            await db.SaveChangesAsync(cancellationToken);
            await write.CommitAsync(cancellationToken);
        }

        signal.Notify();
        return grants.Count;
    }
}
