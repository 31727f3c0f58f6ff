using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.Data.Content;
using SecureFallback.Data.Writes;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Outboxes;

/// <summary>
/// Turns "pickup notice owed" flags into a pickup grant and a queued notice per held recipient, in one transaction,
/// so a crash neither loses a notice nor issues two grants.
/// </summary>
internal sealed class PickupNoticeOutbox(
    IServiceScopeFactory scopeFactory,
    IContentProtector protector,
    NoticeSigner signer,
    IDeliverySignal signal,
    IOptions<DeliveryOptions> deliveryOptions,
    IOptions<NoticeOptions> noticeOptions,
    IOptions<PortalOptions> portalOptions,
    MailBrand brand,
    NoticeLanguages languages,
    TimeProvider timeProvider,
    ILogger<PickupNoticeOutbox> logger)
{
    private readonly OutboxItemFailures _failures = new("pickup notice", logger);

    public async Task<int> ProcessAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var messageIds = await db.Recipients.Where(r => r.PickupNoticePending).Select(r => r.MessageId).Distinct().OrderBy(id => id).Take(200).ToListAsync(cancellationToken);
        if (messageIds.Count == 0)
        {
            return 0;
        }

        var composer = new PickupNoticeComposer(
            brand,
            new Uri(portalOptions.Value.PublicUrl.TrimEnd('/') + "/"),
            MailboxAddress.Parse(noticeOptions.Value.From),
            deliveryOptions.Value.HeloName,
            timeProvider);

        foreach (var messageId in messageIds)
        {
            var setAside = () => db.Recipients.Where(r => r.MessageId == messageId && r.PickupNoticePending).ExecuteUpdateAsync(s => s.SetProperty(r => r.PickupNoticePending, false), cancellationToken);
            await _failures.TryAsync(db, $"message {messageId}", () => NotifyAsync(scope, db, composer, messageId, cancellationToken), setAside, cancellationToken);
        }

        signal.Notify();
        return messageIds.Count;
    }

    /// <summary>Issues the grants and queues the notices of one message's held recipients, in one transaction.</summary>
    private async Task NotifyAsync(AsyncServiceScope scope, SecureFallbackDbContext db, PickupNoticeComposer composer, Guid messageId, CancellationToken cancellationToken)
    {
        var original = await db.Messages.Include(m => m.Recipients).SingleAsync(m => m.Id == messageId, cancellationToken);
        var headers = await NoticeQueue.ReadHeadersAsync(scope.ServiceProvider.GetRequiredService<ISealedContentReader>(), messageId, logger, cancellationToken);
        var sender = SenderOf(headers, original.EnvelopeFrom);
        var sentAt = headers[HeaderId.Date] is { } date && MimeKit.Utils.DateUtils.TryParse(date, out var parsed) ? parsed : original.ReceivedAt;
        var subject = noticeOptions.Value.IncludeSubject ? headers[HeaderId.Subject] : null;
        var now = timeProvider.GetUtcNow();

        await using var write = await db.BeginWriteAsync(WriteDurability.Relaxed, cancellationToken);
        if (!await OutboxClaims.TakePickupNoticeFlagsAsync(db, [.. original.Recipients.Where(r => r.PickupNoticePending)], cancellationToken))
        {
            return; // another instance is issuing these notices; the transaction rolls back
        }

        foreach (var recipient in original.Recipients.Where(r => r.PickupNoticePending))
        {
            // A notice no one can address fails that recipient alone (and tells the sender); it must never
            // stop the notices of the other recipients and messages behind it.
            if (!EnvelopeMailbox.TryCreate(recipient.Address, out _))
            {
                recipient.FailUnaddressable(now);
                PickupNoticeLog.Unaddressable(logger, messageId, recipient.Id);
                continue;
            }

            // Held again after an admin's retry: the recipient already has a notice and a grant; extend it.
            if (await db.PickupGrants.SingleOrDefaultAsync(g => g.RecipientId == recipient.Id, cancellationToken) is { } existing)
            {
                existing.ExpiresAt = recipient.HoldUntil ?? existing.ExpiresAt;
                existing.PinRequired |= recipient.PickupPinRequired;
                recipient.PickupNoticeQueued();
                continue;
            }

            var (grant, token) = PickupGrant.Issue(recipient.Id, messageId, recipient.Address, now, recipient.HoldUntil ?? now);
            // The PIN itself is made with the held DSN to the sender (DsnOutbox), which waits for this grant.
            grant.PinRequired = recipient.PickupPinRequired;
            db.PickupGrants.Add(grant);
            var notice = composer.Compose(new PickupNotice(sender, sentAt, subject, recipient.Address, grant.ReferenceCode, token, grant.ExpiresAt, recipient.Reason == Core.Delivery.FailureReason.PolicyPickup, grant.PinRequired), languages.ForAddress(recipient.Address));
            var noticeId = NoticeQueue.Enqueue(db, protector, signer, notice, recipient.Address, MessageKind.PickupNotice, now);
            recipient.PickupNoticeQueued();
            PickupNoticeLog.Queued(logger, noticeId, messageId, recipient.Address);
        }

        await db.SaveChangesAsync(cancellationToken);
        await write.CommitAsync(cancellationToken);
    }

    /// <summary>The sender as the recipient knows them: the From header, else the envelope sender.</summary>
    private static MailboxAddress SenderOf(HeaderList headers, string envelopeFrom)
    {
        if (headers[HeaderId.From] is { } from && InternetAddressList.TryParse(from, out var list) && list.Mailboxes.FirstOrDefault() is { } mailbox)
        {
            return mailbox;
        }

        return EnvelopeMailbox.TryCreate(envelopeFrom, out var envelope) ? envelope : new MailboxAddress("", "unknown sender");
    }
}

internal static partial class PickupNoticeLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Queued pickup notice {NoticeId} for message {MessageId} to {Recipient}")]
    public static partial void Queued(ILogger logger, Guid noticeId, Guid messageId, string recipient);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "No pickup notice can be addressed to recipient {RecipientId} of message {MessageId}: not an RFC 5321 mailbox; failed with 5.1.3")]
    public static partial void Unaddressable(ILogger logger, Guid messageId, long recipientId);
}
