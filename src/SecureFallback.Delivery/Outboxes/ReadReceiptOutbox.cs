using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.Data.Content;
using SecureFallback.Data.Writes;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Outboxes;

/// <summary>
/// Turns "read receipt owed" flags, set by the portal with the first reading, into queued MDNs to the sender, and
/// each reading from a new network (a <see cref="ReadingReport"/> row) into an "opened again" notice of its own. Both travel like DSNs: over mandatory TLS, from
/// the null sender.
/// </summary>
internal sealed class ReadReceiptOutbox(
    IServiceScopeFactory scopeFactory,
    IContentProtector protector,
    NoticeSigner signer,
    IDeliverySignal signal,
    IOptions<DeliveryOptions> deliveryOptions,
    IOptions<NoticeOptions> noticeOptions,
    MailBrand brand,
    NoticeLanguages languages,
    TimeProvider timeProvider,
    ILogger<ReadReceiptOutbox> logger)
{
    private readonly OutboxItemFailures _failures = new("read receipt", logger);

    public async Task<int> ProcessAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var grants = await db.PickupGrants.AsNoTracking().Where(g => g.ReadReceiptPending).OrderBy(g => g.Id).Take(200).ToListAsync(cancellationToken);
        var reports = await db.ReadingReports.AsNoTracking().OrderBy(r => r.Id).Take(200).ToListAsync(cancellationToken);
        if (grants.Count == 0 && reports.Count == 0)
        {
            return 0;
        }

        var from = MailboxAddress.Parse(noticeOptions.Value.From);
        var composer = new ReadReceiptComposer(deliveryOptions.Value.HeloName, from, timeProvider, brand);
        var reopened = new ReaderReportComposer(deliveryOptions.Value.HeloName, from, timeProvider, brand);
        foreach (var grant in grants)
        {
            await _failures.TryAsync(
                db,
                $"read receipt of grant {grant.Id}",
                () => ReportAsync(scope, db, grant, (sender, headers) => composer.Compose(sender, grant.Address, headers, FirstReading(grant), languages.ForAddress(sender).Words), () => OutboxClaims.TakeReadReceiptFlagAsync(db, grant, cancellationToken), cancellationToken),
                () => OutboxClaims.TakeReadReceiptFlagAsync(db, grant, cancellationToken),
                cancellationToken);
        }

        foreach (var report in reports)
        {
            await _failures.TryAsync(db, $"reading report {report.Id} of grant {report.GrantId}", () => ReportReadingAsync(scope, db, reopened, report, cancellationToken), () => OutboxClaims.TakeReadingReportAsync(db, report, cancellationToken), cancellationToken);
        }

        signal.Notify();
        return grants.Count + reports.Count;
    }

    /// <summary>An "opened again" notice; a report whose grant is gone (purged) is dropped, with nothing to tell.</summary>
    private async Task ReportReadingAsync(AsyncServiceScope scope, SecureFallbackDbContext db, ReaderReportComposer reopened, ReadingReport report, CancellationToken cancellationToken)
    {
        // The grant is read after the report: its first reading is set (a report is only owed after it).
        if (await db.PickupGrants.AsNoTracking().SingleOrDefaultAsync(g => g.Id == report.GrantId, cancellationToken) is not { } grant)
        {
            await OutboxClaims.TakeReadingReportAsync(db, report, cancellationToken);
            return;
        }

        var again = new Reading(report.ReadAt, report.Network, report.Browser, grant.FirstReadAccountCreatedHere);
        await ReportAsync(scope, db, grant, (sender, headers) => reopened.ComposeReopened(sender, grant.Address, headers, FirstReading(grant), again, languages.ForAddress(sender).Words), () => OutboxClaims.TakeReadingReportAsync(db, report, cancellationToken), cancellationToken);
    }

    private Reading FirstReading(PickupGrant grant) =>
        new(grant.FirstReadAt ?? timeProvider.GetUtcNow(), grant.FirstReadNetwork, grant.FirstReadBrowser, grant.FirstReadAccountCreatedHere);

    /// <summary>
    /// Takes one claim and queues its mail in one transaction; a sender no mail can be written to (the null sender,
    /// an older intake's unquoted local part) gets none, and the claim is taken all the same.
    /// </summary>
    private async Task ReportAsync(AsyncServiceScope scope, SecureFallbackDbContext db, PickupGrant grant, Func<string, HeaderList, MimeMessage> compose, Func<Task<bool>> claim, CancellationToken cancellationToken)
    {
        var sender = await db.Messages.Where(m => m.Id == grant.MessageId).Select(m => m.EnvelopeFrom).SingleAsync(cancellationToken);
        MimeMessage? mail = null;
        if (sender.Length > 0 && EnvelopeMailbox.TryCreate(sender, out _))
        {
            var headers = await NoticeQueue.ReadHeadersAsync(scope.ServiceProvider.GetRequiredService<ISealedContentReader>(), grant.MessageId, logger, cancellationToken);
            mail = compose(sender, headers);
        }

        await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
        if (!await claim())
        {
            return; // another instance is sending this one; the transaction rolls back
        }

        if (mail is not null)
        {
            NoticeQueue.Enqueue(db, protector, signer, mail, sender, MessageKind.ReadReceipt, timeProvider.GetUtcNow());
            await db.SaveChangesAsync(cancellationToken);
        }

        await write.CommitAsync(cancellationToken);
    }
}
