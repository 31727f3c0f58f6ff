using Microsoft.EntityFrameworkCore;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>
/// One grant of the signed-in recipient as the message page needs it, read in one query: still live (held, not
/// locked, not expired) or not; delivered to their mailbox, and when; revoked, by whom and when; and the account's
/// security stamp (the PIN binding) and the grant that created the account (a first reading's report says so); and
/// whether the account replied from this message (the page reads the thread only then).
/// </summary>
public sealed record GrantView(PickupGrant? Live, DateTimeOffset? DeliveredAt, RevokedCopy? Revoked, string? AccountStamp, Guid? AccountCreatedBy, bool HasReplies)
{
    /// <summary>The live grant waits for the sender's PIN before this account may read it.</summary>
    public bool NeedsPin => Live is not null && Live.NeedsPinFor(AccountStamp);
}

public sealed partial class HeldMessages
{
    private static readonly PerModel<Func<SecureFallbackDbContext, Guid, string, string, string, CancellationToken, Task<GrantRow?>>> GrantRowOf = new(() =>
        EF.CompileAsyncQuery((SecureFallbackDbContext db, Guid grantId, string key, string normalizedEmail, string address, CancellationToken _) =>
            (from g in db.PickupGrants.AsNoTracking()
             where g.Id == grantId && g.AddressKey == key
             join r in db.Recipients on g.RecipientId equals r.Id
             select new GrantRow(
                 g, r.Status, r.PickupLockedAt, r.CompletedAt, r.RevokedAt, r.RevokedBy,
                 db.Users.Where(u => u.NormalizedEmail == normalizedEmail).Select(u => u.SecurityStamp).FirstOrDefault(),
                 db.Users.Where(u => u.NormalizedEmail == normalizedEmail).Select(u => u.CreatedByGrantId).FirstOrDefault(),
                 // The same rule as PortalReplies.ThreadAsync (indexed by InReplyToMessageId).
                 db.Messages.Any(m => m.InReplyToMessageId == g.MessageId && m.Kind == MessageKind.PortalReply && m.RepliedBy == address)))
            .FirstOrDefault()));

    /// <summary>
    /// Grant <paramref name="grantId"/> of <paramref name="address"/> (a signed-in user's name) with everything a view
    /// checks, in one query; null when it is not theirs. The same rules as <see cref="LiveGrantsAsync"/>,
    /// <see cref="DeliveredGrants"/> and <see cref="RevokedCopies"/>, applied to one row.
    /// </summary>
    public async Task<GrantView?> ViewAsync(string address, Guid grantId, CancellationToken cancellationToken)
    {
        var row = await GrantRowOf.For(db)(db, grantId, PickupGrant.AddressKeyOf(address), AddressLookupNormalizer.Normalize(address), address, cancellationToken);
        if (row is null)
        {
            return null;
        }

        var (grant, now) = (row.Grant, timeProvider.GetUtcNow());
        var live = grant.ExpiresAt > now && row.Status == RecipientStatus.HeldForPickup && row.PickupLockedAt is null ? grant : null;
        var deliveredAt = grant.ExpiresAt > now && grant.RedeliveryClaimedAt is not null && row.Status == RecipientStatus.Delivered ? row.CompletedAt : null;
        var revoked = row.Status == RecipientStatus.Revoked && row.RevokedAt is { } at ? new RevokedCopy(grant.Id, at, row.RevokedBy ?? RevokedBy.Sender, grant.MessageId) : null;
        return new GrantView(live, deliveredAt, revoked, row.AccountStamp, row.AccountCreatedBy, row.HasReplies);
    }

    /// <summary>
    /// Opens one held message of <paramref name="address"/> and records the reading: the first one whole (it owes the
    /// read receipt), later ones only from a new network (each owes one "opened again" notice, boundedly). Null when
    /// it is not theirs, or still waits for the sender's PIN.
    /// </summary>
    public async Task<MimeMessage?> ReadAsync(string address, Guid grantId, Reader reader, CancellationToken cancellationToken) =>
        await ViewAsync(address, grantId, cancellationToken) is { } view ? await ReadAsync(view, reader, cancellationToken) : null;

    /// <summary>As <see cref="ReadAsync(string, Guid, Reader, CancellationToken)"/>, for a grant this request has just viewed.</summary>
    public async Task<MimeMessage?> ReadAsync(GrantView view, Reader reader, CancellationToken cancellationToken)
    {
        if (view.Live is not { } grant || grant.RedeliveryClaimedAt is not null || view.NeedsPin)
        {
            return null;
        }

        var message = await OpenAsync(grant.MessageId, cancellationToken);
        if (message is null)
        {
            return null;
        }

        if (await RecordReadingAsync(grant, reader, view.AccountCreatedBy == grant.Id, cancellationToken) is not { } reading)
        {
            return null; // claimed for delivery to the mailbox first (TLS came back): never both read and delivered
        }

        if (reading == GrantReading.First)
        {
            metrics.Read();
        }

        if (reading is GrantReading.First or GrantReading.FromNewNetwork)
        {
            signal.Notify(); // the delivery loop queues and sends the report now, not at its next idle wake-up
        }

        return message;
    }

    private sealed record GrantRow(PickupGrant Grant, RecipientStatus Status, DateTimeOffset? PickupLockedAt, DateTimeOffset? CompletedAt, DateTimeOffset? RevokedAt, RevokedBy? RevokedBy, string? AccountStamp, Guid? AccountCreatedBy, bool HasReplies);
}
