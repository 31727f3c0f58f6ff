using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Data.Writes;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Outboxes;

/// <summary>
/// Turns <see cref="QueuedRecipient.RevokeConfirmationPending"/> flags, committed with the revocation, into
/// confirmations to the sender. They travel like DSNs: over mandatory TLS, from the null sender, never held for
/// pickup, retried until they go.
/// </summary>
internal sealed class RevokeConfirmationOutbox(
    IServiceScopeFactory scopeFactory,
    IContentProtector protector,
    NoticeSigner signer,
    IDeliverySignal signal,
    IOptions<DeliveryOptions> deliveryOptions,
    IOptions<NoticeOptions> noticeOptions,
    MailBrand brand,
    NoticeLanguages languages,
    TimeProvider timeProvider,
    ILogger<RevokeConfirmationOutbox> logger)
{
    public async Task<int> ProcessAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var composer = new ReaderReportComposer(deliveryOptions.Value.HeloName, MailboxAddress.Parse(noticeOptions.Value.From), timeProvider, brand);
        var done = 0;
        foreach (var recipient in await db.Recipients.Include(r => r.Message).Where(r => r.RevokeConfirmationPending).OrderBy(r => r.Id).Take(200).ToListAsync(cancellationToken))
        {
            var message = recipient.Message!;
            // A sender no mail can be written to gets no confirmation: logged, and the flag is cleared all the same.
            var confirmation = EnvelopeMailbox.TryCreate(message.EnvelopeFrom, out _)
                ? composer.ComposeRevoked(message.EnvelopeFrom, recipient.Address, message.Id, message.ReceivedAt, recipient.RevokedAt ?? timeProvider.GetUtcNow(), recipient.RevokedBy == RevokedBy.Sender, languages.ForAddress(message.EnvelopeFrom).Words)
                : null;

            await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
            if (await db.Recipients.Where(r => r.Id == recipient.Id && r.RevokeConfirmationPending)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokeConfirmationPending, false), cancellationToken) != 1)
            {
                continue; // another instance is confirming this one; the transaction rolls back
            }

            if (confirmation is not null)
            {
                NoticeQueue.Enqueue(db, protector, signer, confirmation, message.EnvelopeFrom, MessageKind.ReadReceipt, timeProvider.GetUtcNow());
            }
            else
            {
                RevokeLog.SenderUnaddressable(logger, message.Id, recipient.Id);
            }

            recipient.RevokeConfirmationQueued();
            await db.SaveChangesAsync(cancellationToken);
            await write.CommitAsync(cancellationToken);
            done++;
        }

        if (done > 0)
        {
            signal.Notify();
        }

        return done;
    }
}

internal static partial class RevokeLog
{
    [LoggerMessage(EventId = 4106, Level = LogLevel.Warning, Message = "No revoke confirmation for recipient {RecipientId} of message {MessageId}: its envelope sender is not an RFC 5321 mailbox")]
    public static partial void SenderUnaddressable(ILogger logger, Guid messageId, long recipientId);
}
