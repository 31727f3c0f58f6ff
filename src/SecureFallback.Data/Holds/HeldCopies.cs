using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data.Writes;

namespace SecureFallback.Data.Holds;

/// <summary>The two links of the held DSN: each token does one thing only.</summary>
public enum SenderLink
{
    Revoke,
    Extend,
}

/// <summary>
/// Revoke and extend for held copies, one command for the sender's links, the admin console and the command line.
/// Each change is written with its audit row (<see cref="HoldAction"/>) and, for a revocation, the confirmation flag
/// and the shredding of content nothing needs any more, in one write.
/// </summary>
public sealed class HeldCopies(SecureFallbackDbContext db, IDeliverySignal signal, TimeProvider timeProvider)
{
    /// <summary>How long the sender's extend link (and the command line without <c>--days</c>) keeps a copy longer.</summary>
    public static readonly TimeSpan DefaultExtension = TimeSpan.FromDays(14);

    /// <summary>The held copy a sender's link token opens, with its message; null for an unknown or dead token.</summary>
    public async Task<QueuedRecipient?> FindByLinkAsync(SenderLink link, string token, CancellationToken cancellationToken)
    {
        if (token.Length is < 40 or > 64)
        {
            return null;
        }

        var hash = PickupGrant.HashToken(token);
        var held = db.Recipients.AsNoTracking().Include(r => r.Message).Where(r => r.Status == RecipientStatus.HeldForPickup);
        return link == SenderLink.Revoke
            ? await held.SingleOrDefaultAsync(r => r.RevokeTokenHash == hash, cancellationToken)
            : await held.SingleOrDefaultAsync(r => r.ExtendTokenHash == hash, cancellationToken);
    }

    /// <summary>
    /// The held copies of message <paramref name="messageId"/>: all, or only <paramref name="address"/>'s, matched as
    /// grants and accounts are (<see cref="PickupGrant.AddressKeyOf"/>: ASCII case ignored, all else exact). Compared
    /// here, not in SQL, whose <c>lower()</c> folds non-ASCII letters one way on SQLite and another on PostgreSQL;
    /// a message's held copies are few, and a copy whose grant is not made yet is found too.
    /// </summary>
    public async Task<List<long>> HeldIdsAsync(Guid messageId, string? address, CancellationToken cancellationToken)
    {
        var held = await db.Recipients.Where(r => r.MessageId == messageId && r.Status == RecipientStatus.HeldForPickup)
            .OrderBy(r => r.Id).Select(r => new { r.Id, r.Address }).ToListAsync(cancellationToken);
        var key = address is null ? null : PickupGrant.AddressKeyOf(address);
        return [.. held.Where(r => key is null || PickupGrant.AddressKeyOf(r.Address) == key).Select(r => r.Id)];
    }

    /// <summary>
    /// Revokes the held copies <paramref name="recipientIds"/> (those no longer held are skipped): each opens for
    /// nobody from now on, the sender is owed a confirmation, and the message's content and wrapped data key are
    /// deleted at once when no other recipient still needs them (else when the last one settles).
    /// </summary>
    /// <returns>The copies revoked.</returns>
    public async Task<List<QueuedRecipient>> RevokeAsync(IReadOnlyCollection<long> recipientIds, RevokedBy by, string who, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
        var held = await LoadHeldAsync(recipientIds, cancellationToken);
        // Claimed first, so the expiry scan (or another instance) cannot end the same hold in between.
        var ids = held.Select(r => r.Id).ToList();
        if (held.Count == 0 || await db.Recipients.Where(r => ids.Contains(r.Id) && r.Status == RecipientStatus.HeldForPickup)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RevokedAt, now), cancellationToken) != held.Count)
        {
            return [];
        }

        foreach (var recipient in held)
        {
            recipient.Revoke(by, now);
            db.HoldActions.Add(Audit(recipient, "revoke", who, now, null));
        }

        await db.SaveChangesAsync(cancellationToken);
        await write.PurgeSettledContentAsync([.. held.Select(r => r.Message!).Distinct()], now, cancellationToken);
        await write.CommitAsync(cancellationToken);
        signal.Notify(); // the confirmation outbox
        return held;
    }

    /// <summary>Holds the copies <paramref name="recipientIds"/> <paramref name="by"/> longer, their pickup grants with them.</summary>
    /// <returns>The copies extended.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// Not a positive time, or a copy would be held past <see cref="QueuedRecipient.MaxHoldFromArrival"/>; nothing changed.
    /// </exception>
    public async Task<List<QueuedRecipient>> ExtendAsync(IReadOnlyCollection<long> recipientIds, TimeSpan by, string who, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
        // Claimed first by an update that changes nothing but locks the rows (PostgreSQL), so the expiry scan, a revoke
        // or another instance cannot end a hold between this check and the save and leave an extended grant behind.
        var claimed = await db.Recipients.Where(r => recipientIds.Contains(r.Id) && r.Status == RecipientStatus.HeldForPickup)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.HoldUntil, r => r.HoldUntil), cancellationToken);
        var held = await LoadHeldAsync(recipientIds, cancellationToken);
        if (held.Count != claimed)
        {
            return [];
        }

        var ids = held.Select(r => r.Id).ToList();
        var grants = await db.PickupGrants.Where(g => ids.Contains(g.RecipientId)).ToListAsync(cancellationToken);
        foreach (var recipient in held)
        {
            recipient.ExtendHold(by, now); // throws before anything is saved
            grants.Where(g => g.RecipientId == recipient.Id).ToList().ForEach(g => g.ExpiresAt = recipient.HoldUntil!.Value);
            db.HoldActions.Add(Audit(recipient, "extend", who, now, recipient.HoldUntil));
        }

        await db.SaveChangesAsync(cancellationToken);
        await write.CommitAsync(cancellationToken);
        return held;
    }

    private Task<List<QueuedRecipient>> LoadHeldAsync(IReadOnlyCollection<long> recipientIds, CancellationToken cancellationToken) =>
        db.Recipients.Include(r => r.Message)
            .Where(r => recipientIds.Contains(r.Id) && r.Status == RecipientStatus.HeldForPickup)
            .OrderBy(r => r.Id)
            .ToListAsync(cancellationToken);

    private static HoldAction Audit(QueuedRecipient recipient, string action, string who, DateTimeOffset now, DateTimeOffset? holdUntil) => new()
    {
        RecipientId = recipient.Id,
        MessageId = recipient.MessageId,
        At = now,
        Action = action,
        By = who.Length <= HoldAction.ByLength ? who : who[..HoldAction.ByLength],
        HoldUntil = holdUntil,
    };
}
