using System.Security.Cryptography;
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
/// whether the account replied from this message (the page reads the thread only then); and the SHA-256 of the sealed
/// copy's wrapped data key, null when the copy is gone (<see cref="ShownMessageCache"/>). <paramref name="Live"/> holds
/// only what a view uses of the grant: its ids, expiry, delivery claim, PIN and reading state (not its token hash,
/// reference code, address or creation time).
/// </summary>
public sealed record GrantView(PickupGrant? Live, DateTimeOffset? DeliveredAt, RevokedCopy? Revoked, string? AccountStamp, Guid? AccountCreatedBy, bool HasReplies, byte[]? SealedCopy)
{
    /// <summary>The live grant waits for the sender's PIN before this account may read it.</summary>
    public bool NeedsPin => Live is not null && Live.NeedsPinFor(AccountStamp);
}

public sealed partial class HeldMessages
{
    // SQLite compiles this anew for every view (Microsoft.Data.Sqlite keeps no statements across commands), at a cost
    // that grows with each column and subquery: it was the largest single cost of a repeat view (bench/RESULTS.md).
    // So only the grant's columns a view uses are read, and the account is joined once. The sealed copy is read as it
    // is stored now (gone once purged, expired or revoked: the row and its key are deleted); the replies by the same
    // rule as PortalReplies.ThreadAsync (indexed by InReplyToMessageId).
    private static readonly PerModel<Func<SecureFallbackDbContext, Guid, string, string, string, CancellationToken, Task<GrantRow?>>> GrantRowOf = new(() =>
        EF.CompileAsyncQuery((SecureFallbackDbContext db, Guid grantId, string key, string normalizedEmail, string address, CancellationToken _) =>
            (from g in db.PickupGrants.AsNoTracking()
             where g.Id == grantId && g.AddressKey == key
             join r in db.Recipients on g.RecipientId equals r.Id
             join u in db.Users on normalizedEmail equals u.NormalizedEmail into accounts
             from u in accounts.DefaultIfEmpty()
             join c in db.MessageContents on g.MessageId equals c.MessageId into copies
             from c in copies.DefaultIfEmpty()
             select new GrantRow(
                 new PickupGrant
                 {
                     Id = g.Id,
                     MessageId = g.MessageId,
                     ExpiresAt = g.ExpiresAt,
                     RedeliveryClaimedAt = g.RedeliveryClaimedAt,
                     PinRequired = g.PinRequired,
                     PinHash = g.PinHash,
                     PinFailures = g.PinFailures,
                     PinUnlockedAt = g.PinUnlockedAt,
                     PinUnlockedStamp = g.PinUnlockedStamp,
                     FirstReadAt = g.FirstReadAt,
                     FirstReadNetwork = g.FirstReadNetwork,
                     FirstReadBrowser = g.FirstReadBrowser,
                     FirstReadAccountCreatedHere = g.FirstReadAccountCreatedHere,
                     ReadNetworks = g.ReadNetworks,
                     ReopenCount = g.ReopenCount,
                 },
                 r.Status, r.PickupLockedAt, r.CompletedAt, r.RevokedAt, r.RevokedBy,
                 u == null ? null : u.SecurityStamp,
                 u == null ? null : u.CreatedByGrantId,
                 db.Messages.Any(m => m.InReplyToMessageId == g.MessageId && m.Kind == MessageKind.PortalReply && m.RepliedBy == address),
                 c == null ? null : c.WrappedKey))
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
        var copy = row.WrappedKey is { Length: > 0 } wrappedKey ? SHA256.HashData(wrappedKey) : null;
        return new GrantView(live, deliveredAt, revoked, row.AccountStamp, row.AccountCreatedBy, row.HasReplies, copy);
    }

    /// <summary>
    /// Opens one held message of <paramref name="address"/> and records the reading: the first one whole (it owes the
    /// read receipt), later ones only from a new network (each owes one "opened again" notice, boundedly). Null when
    /// it is not theirs, or still waits for the sender's PIN.
    /// </summary>
    public async Task<MimeMessage?> ReadAsync(string address, Guid grantId, Reader reader, CancellationToken cancellationToken) =>
        await ViewAsync(address, grantId, cancellationToken) is { } view ? await ReadAsync(view, reader, cancellationToken) : null;

    /// <summary>
    /// As <see cref="ReadAsync(string, Guid, Reader, CancellationToken)"/>, for a grant this request has just viewed:
    /// the stored copy itself (for the downloads), read and verified as it is used.
    /// </summary>
    public async Task<MimeMessage?> ReadAsync(GrantView view, Reader reader, CancellationToken cancellationToken)
    {
        if (Readable(view) is not { } grant || await OpenAsync(grant.MessageId, cancellationToken) is not { } message)
        {
            return null;
        }

        return await RecordReadingAsync(view, grant, reader, cancellationToken) ? message : null;
    }

    /// <summary>
    /// What the message page shows of a grant this request has just viewed, and the reading recorded as
    /// <see cref="ReadAsync(GrantView, Reader, CancellationToken)"/> does. From memory (<see cref="ShownMessageCache"/>)
    /// when this very sealed copy was read whole and verified a short while ago, which this request's view query (access
    /// checked, the copy still stored, its key) allows; otherwise the copy is read from the store as the downloads do.
    /// </summary>
    /// <exception cref="ContentTamperedException">The stored copy failed its integrity check.</exception>
    public async Task<ShownMessage?> ShowAsync(GrantView view, Reader reader, CancellationToken cancellationToken)
    {
        if (Readable(view) is not { } grant)
        {
            return null;
        }

        if (view.SealedCopy is not { } copy)
        {
            shown.Forget(grant.MessageId); // shredded: nothing is left to show
            return null;
        }

        if (shown.Find(grant.MessageId, copy) is not { } page)
        {
            if (await OpenAsync(grant.MessageId, cancellationToken) is not { } message)
            {
                return null;
            }

            page = shown.Keep(grant.MessageId, copy, message);
        }

        return await RecordReadingAsync(view, grant, reader, cancellationToken) ? page : null;
    }

    /// <summary>The live grant of <paramref name="view"/> when its reader may read it now: not delivered, not waiting for a PIN.</summary>
    private static PickupGrant? Readable(GrantView view) =>
        view.Live is { RedeliveryClaimedAt: null } grant && !view.NeedsPin ? grant : null;

    /// <summary>Records this reading of <paramref name="grant"/>; false when the copy was claimed for delivery to the mailbox first.</summary>
    private async Task<bool> RecordReadingAsync(GrantView view, PickupGrant grant, Reader reader, CancellationToken cancellationToken)
    {
        if (await RecordReadingAsync(grant, reader, view.AccountCreatedBy == grant.Id, cancellationToken) is not { } reading)
        {
            return false; // claimed for delivery to the mailbox first (TLS came back): never both read and delivered
        }

        if (reading == GrantReading.First)
        {
            metrics.Read();
        }

        if (reading is GrantReading.First or GrantReading.FromNewNetwork)
        {
            signal.Notify(); // the delivery loop queues and sends the report now, not at its next idle wake-up
        }

        return true;
    }

    private sealed record GrantRow(PickupGrant Grant, RecipientStatus Status, DateTimeOffset? PickupLockedAt, DateTimeOffset? CompletedAt, DateTimeOffset? RevokedAt, RevokedBy? RevokedBy, string? AccountStamp, Guid? AccountCreatedBy, bool HasReplies, byte[]? WrappedKey);
}
