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

using SecureFallback.Delivery.Queue;

namespace SecureFallback.Delivery.Outboxes;

/// <summary>
/// Turns "DSN owed" flags into queued DSN messages: one DSN per original message for all its recipients
/// flagged so far, queued and un-flagged in one transaction, so a crash neither loses nor doubles a DSN.
/// <para>
/// The held DSN also carries the PIN of each held copy that needs one. The PIN is made here, in the transaction that
/// queues the DSN: the DSN is sealed at rest (AES-GCM, like every queued message) and its plain text exists only in
/// memory, while the grant keeps only the PIN's salted hash, written in the same commit. So the PIN is never stored in
/// clear, never logged, and never exists without the DSN that tells it (a crash rolls back both). The DSN then goes
/// only over mandatory TLS (generated reports never travel in clear) to the sender's own organisation.
/// </para>
/// </summary>
internal sealed class DsnOutbox(
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
    ILogger<DsnOutbox> logger)
{
    private readonly OutboxItemFailures _failures = new("DSN", logger);

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
            // A PIN goes on the recipient's grant, which the pickup notice outbox creates: wait for it.
            .Where(id => !db.Recipients.Any(other => other.MessageId == id && other.PickupNoticePending && other.PickupPinRequired))
            .OrderBy(id => id)
            .Take(200)
            .ToListAsync(cancellationToken);
        if (messageIds.Count == 0)
        {
            return 0;
        }

        var composer = new DsnComposer(deliveryOptions.Value.HeloName, MailboxAddress.Parse(noticeOptions.Value.From), timeProvider, brand);

        foreach (var messageId in messageIds)
        {
            await _failures.TryAsync(db, $"message {messageId}", () => ReportAsync(scope, db, composer, messageId, cancellationToken), () => SetAsideAsync(db, messageId, cancellationToken), cancellationToken);
        }

        signal.Notify();
        return messageIds.Count;
    }

    /// <summary>Queues one message's DSN and clears its recipients' flags, in one transaction.</summary>
    private async Task ReportAsync(AsyncServiceScope scope, SecureFallbackDbContext db, DsnComposer composer, Guid messageId, CancellationToken cancellationToken)
    {
        var original = await db.Messages.Include(m => m.Recipients).SingleAsync(m => m.Id == messageId, cancellationToken);
        var failed = original.Recipients.Where(r => r.DsnPending).OrderBy(r => r.Id).ToList();
        var headers = await NoticeQueue.ReadHeadersAsync(scope.ServiceProvider.GetRequiredService<ISealedContentReader>(), messageId, logger, cancellationToken);
        var now = timeProvider.GetUtcNow();

        await using var write = await db.BeginWriteAsync(WriteDurability.Relaxed, cancellationToken);
        if (!await OutboxClaims.TakeDsnFlagsAsync(db, failed, cancellationToken))
        {
            return; // another instance is reporting these recipients; the transaction rolls back
        }

        var pins = await IssuePinsAsync(db, original, failed, now, cancellationToken);
        var dsn = TryCompose(composer, original, failed, headers, pins, IssueSenderLinks(original, failed));

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

    /// <summary>A message whose DSN keeps failing: its recipients' flags are cleared, so the DSNs behind it go on.</summary>
    private static Task SetAsideAsync(SecureFallbackDbContext db, Guid messageId, CancellationToken cancellationToken) =>
        db.Recipients.Where(r => r.MessageId == messageId && r.DsnPending)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.DsnPending, false), cancellationToken);

    /// <summary>Builds the DSN, or gives up (logged) when the envelope sender is not an address MimeKit can write to.</summary>
    private MimeMessage? TryCompose(DsnComposer composer, QueuedMessage original, List<QueuedRecipient> failed, HeaderList headers, Dictionary<long, HeldPin> pins, Dictionary<long, HeldLinks> links)
    {
        try
        {
            return composer.Compose(original, failed, headers, pins, links, languages.ForAddress(original.EnvelopeFrom).Words);
        }
        catch (Exception ex) when (ex is ParseException or FormatException)
        {
            // Clearing the flag anyway keeps one odd sender from blocking every DSN behind it.
            DeliveryLog.DsnUndeliverable(logger, original.Id, ex);
            return null;
        }
    }

    /// <summary>
    /// A PIN and a new-PIN link for each held recipient whose grant needs a PIN and has none yet (its hash and the
    /// link's hash are set on the grant, saved with the DSN); a recipient held again keeps the PIN it was given.
    /// No PIN is made for a sender no DSN can be written to (<see cref="EnvelopeMailbox"/> decides, as for the DSN's
    /// own To): a PIN no DSN carries would only lock the message; an admin issues one then.
    /// </summary>
    private async Task<Dictionary<long, HeldPin>> IssuePinsAsync(SecureFallbackDbContext db, QueuedMessage original, List<QueuedRecipient> reported, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var pins = new Dictionary<long, HeldPin>();
        var held = reported.Where(r => r.Status == RecipientStatus.HeldForPickup && r.PickupPinRequired).Select(r => r.Id).ToList();
        if (held.Count == 0 || !EnvelopeMailbox.TryCreate(original.EnvelopeFrom, out _))
        {
            return pins;
        }

        var portal = new Uri(portalOptions.Value.PublicUrl.TrimEnd('/') + "/");
        foreach (var grant in await db.PickupGrants.Where(g => held.Contains(g.RecipientId) && g.PinRequired && g.PinUnlockedAt == null).ToListAsync(cancellationToken))
        {
            pins[grant.RecipientId] = grant.PinHash is not null
                ? new HeldPin(null, null)
                : new HeldPin(grant.IssuePin(now, "held DSN to the sender"), new Uri(portal, $"pin/{grant.IssuePinResetToken()}"));
        }

        return pins;
    }

    /// <summary>
    /// Revoke and extend links for each held recipient reported (their tokens' hashes set on the recipients, saved
    /// with the DSN, like the new-PIN link's); none for a sender no DSN can be written to.
    /// </summary>
    private Dictionary<long, HeldLinks> IssueSenderLinks(QueuedMessage original, List<QueuedRecipient> reported)
    {
        if (!EnvelopeMailbox.TryCreate(original.EnvelopeFrom, out _))
        {
            return [];
        }

        var portal = new Uri(portalOptions.Value.PublicUrl.TrimEnd('/') + "/");
        return reported.Where(r => r.Status == RecipientStatus.HeldForPickup).ToDictionary(r => r.Id, r =>
        {
            var (revoke, extend) = r.IssueSenderLinkTokens();
            return new HeldLinks(new Uri(portal, $"held/revoke/{revoke}"), new Uri(portal, $"held/extend/{extend}"));
        });
    }
}
