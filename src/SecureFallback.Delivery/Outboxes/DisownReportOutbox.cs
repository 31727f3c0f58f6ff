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
/// "This was not me": turns the flags the portal set with the lock into reports, durable like every outbox — to
/// each sender of a held copy that was locked (<see cref="QueuedRecipient.LockReportPending"/>), and to every
/// account in the role Admin (<see cref="PortalUser.DisownReportPending"/>). They travel like DSNs: over mandatory
/// TLS, from the null sender, never held for pickup, retried until they go.
/// </summary>
internal sealed class DisownReportOutbox(
    IServiceScopeFactory scopeFactory,
    IContentProtector protector,
    NoticeSigner signer,
    IDeliverySignal signal,
    IOptions<DeliveryOptions> deliveryOptions,
    IOptions<NoticeOptions> noticeOptions,
    MailBrand brand,
    NoticeLanguages languages,
    TimeProvider timeProvider,
    ILogger<DisownReportOutbox> logger)
{
    private readonly OutboxItemFailures _failures = new("disown report", logger);

    /// <summary>The role whose accounts hear of disowned accounts (the admin console's role).</summary>
    public const string AdminRole = "Admin";

    public async Task<int> ProcessAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var composer = new ReaderReportComposer(deliveryOptions.Value.HeloName, MailboxAddress.Parse(noticeOptions.Value.From), timeProvider, brand);
        var done = 0;
        foreach (var recipient in await db.Recipients.Include(r => r.Message).Where(r => r.LockReportPending).OrderBy(r => r.Id).Take(200).ToListAsync(cancellationToken))
        {
            var setAside = () => db.Recipients.Where(r => r.Id == recipient.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.LockReportPending, false), cancellationToken);
            done += await _failures.TryAsync(db, $"lock report of recipient {recipient.Id} of message {recipient.MessageId}", () => ReportLockAsync(scope, db, composer, recipient, cancellationToken), setAside, cancellationToken) ? 1 : 0;
        }

        done += await ReportDisownedAsync(db, composer, cancellationToken);
        if (done > 0)
        {
            signal.Notify();
        }

        return done;
    }

    /// <summary>Queues one lock report to the sender of a locked copy and clears its flag, in one transaction.</summary>
    private async Task ReportLockAsync(AsyncServiceScope scope, SecureFallbackDbContext db, ReaderReportComposer composer, QueuedRecipient recipient, CancellationToken cancellationToken)
    {
        var grant = await db.PickupGrants.AsNoTracking().SingleOrDefaultAsync(g => g.RecipientId == recipient.Id, cancellationToken);
        var first = grant?.FirstReadAt is { } at ? new Reading(at, grant.FirstReadNetwork, grant.FirstReadBrowser, grant.FirstReadAccountCreatedHere) : null;
        var headers = await NoticeQueue.ReadHeadersAsync(scope.ServiceProvider.GetRequiredService<ISealedContentReader>(), recipient.MessageId, logger, cancellationToken);
        var sender = recipient.Message!.EnvelopeFrom;
        // A sender no mail can be written to (an older intake's unquoted local part) gets no report: logged, and
        // the flag is cleared all the same, so it never holds up the reports behind it.
        var report = EnvelopeMailbox.TryCreate(sender, out _) ? composer.ComposeLocked(sender, recipient.Address, headers, first, languages.ForAddress(sender).Words) : null;

        await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
        if (!await OutboxClaims.TakeLockReportFlagAsync(db, recipient, cancellationToken))
        {
            return; // another instance is reporting this one; the transaction rolls back
        }

        if (report is not null)
        {
            NoticeQueue.Enqueue(db, protector, signer, report, sender, MessageKind.ReadReceipt, timeProvider.GetUtcNow());
        }
        else
        {
            DisownLog.SenderUnaddressable(logger, recipient.MessageId, recipient.Id);
        }

        recipient.LockReportQueued();
        await db.SaveChangesAsync(cancellationToken);
        await write.CommitAsync(cancellationToken);
    }

    /// <summary>Tells every admin of each disowned account, one account per transaction.</summary>
    private async Task<int> ReportDisownedAsync(SecureFallbackDbContext db, ReaderReportComposer composer, CancellationToken cancellationToken)
    {
        var done = 0;
        var disowned = await db.Users.Where(u => u.DisownReportPending).OrderBy(u => u.Id).Take(50).ToListAsync(cancellationToken);
        if (disowned.Count > 0)
        {
            var admins = await AdminAddressesAsync(db, cancellationToken);
            foreach (var user in disowned)
            {
                var now = timeProvider.GetUtcNow();
                // The copies "this was not me" locked: those of the address's grants (PickupGrant.AddressKeyOf).
                var key = PickupGrant.AddressKeyOf(user.Email!);
                var recipientIds = db.PickupGrants.Where(g => g.AddressKey == key).Select(g => g.RecipientId);
                var locked = await db.Recipients.CountAsync(r => recipientIds.Contains(r.Id) && r.PickupLockedAt != null, cancellationToken);
                await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
                if (!await OutboxClaims.TakeDisownReportFlagAsync(db, user, cancellationToken))
                {
                    continue;
                }

                foreach (var admin in admins)
                {
                    var report = composer.ComposeDisowned(admin, user.Email!, user.CreatedAt, locked, user.DisownedAt ?? now, languages.ForAddress(admin).Words);
                    NoticeQueue.Enqueue(db, protector, signer, report, admin, MessageKind.ReadReceipt, now);
                }

                user.DisownReportPending = false;
                await db.SaveChangesAsync(cancellationToken);
                await write.CommitAsync(cancellationToken);
                DisownLog.AdminsTold(logger, admins.Count);
                done++;
            }
        }

        return done;
    }

    /// <summary>
    /// The admins' addresses that mail can be written to; an admin e-mail that is no RFC 5321 mailbox (such as
    /// <c>Ops &lt;ops@x.test&gt;</c>) is skipped and logged, so the other admins are still told.
    /// </summary>
    private async Task<List<string>> AdminAddressesAsync(SecureFallbackDbContext db, CancellationToken cancellationToken)
    {
        var admins = await (from role in db.Roles
                            where role.NormalizedName == AdminRole.ToUpperInvariant()
                            join link in db.UserRoles on role.Id equals link.RoleId
                            join admin in db.Users on link.UserId equals admin.Id
                            where admin.Email != null
                            select new { admin.Id, Email = admin.Email! }).ToListAsync(cancellationToken);
        foreach (var admin in admins.Where(a => !EnvelopeMailbox.TryCreate(a.Email, out _)))
        {
            DisownLog.AdminUnaddressable(logger, admin.Id);
        }

        return [.. admins.Where(a => EnvelopeMailbox.TryCreate(a.Email, out _)).Select(a => a.Email)];
    }
}

internal static partial class DisownLog
{
    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "An account was disowned by the owner of its address; {Admins} administrator(s) told")]
    public static partial void AdminsTold(ILogger logger, int admins);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Administrator {UserId} is not told of disowned accounts: the account's e-mail is not an RFC 5321 mailbox")]
    public static partial void AdminUnaddressable(ILogger logger, string userId);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "No lock report for recipient {RecipientId} of message {MessageId}: its envelope sender is not an RFC 5321 mailbox")]
    public static partial void SenderUnaddressable(ILogger logger, Guid messageId, long recipientId);
}
