using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.Data.Writes;

namespace SecureFallback.Portal;

/// <summary>
/// "This was not me": the holder of a pickup link (the token proves they read that mailbox) reports that the account
/// for its address was created by someone else. In one write: the account is locked for good and its sessions end
/// (security stamp), every held copy for the address is locked (<see cref="QueuedRecipient.LockPickup"/>), and the
/// reports to each sender and to the admins are owed (outbox flags, sent by the delivery loop).
/// </summary>
public sealed class AccountDisowning(
    SecureFallbackDbContext db,
    UserManager<PortalUser> users,
    IDeliverySignal signal,
    TimeProvider timeProvider,
    ILogger<AccountDisowning> logger)
{
    /// <summary>True when the account for <paramref name="address"/> was disowned already.</summary>
    public async Task<bool> IsDisownedAsync(string address) =>
        await users.FindByEmailAsync(address) is { DisownedAt: not null };

    /// <summary>Disowns the account of <paramref name="grant"/>'s address; false when it has none (or was disowned before).</summary>
    public async Task<bool> DisownAsync(PickupGrant grant, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
        var user = await users.FindByEmailAsync(grant.Address);
        if (user is null || user.DisownedAt is not null || !await users.HasPasswordAsync(user))
        {
            return false;
        }

        (user.DisownedAt, user.DisownReportPending) = (now, true);
        user.LockoutEnabled = true;
        user.LockoutEnd = DateTimeOffset.MaxValue; // no end: only an administrator deals with it
        await users.UpdateSecurityStampAsync(user); // saves the user; every existing session dies at its next request

        var address = PickupGrant.NormalizeAddress(grant.Address).ToLowerInvariant();
        var recipientIds = db.PickupGrants.Where(g => g.Address.ToLower() == address).Select(g => g.RecipientId);
        var held = await db.Recipients.Include(r => r.Message)
            .Where(r => recipientIds.Contains(r.Id) && r.Status == RecipientStatus.HeldForPickup && r.PickupLockedAt == null)
            .ToListAsync(cancellationToken);
        held.ForEach(r => r.LockPickup(now));
        await db.SaveChangesAsync(cancellationToken);
        await write.CommitAsync(cancellationToken);

        PortalLog.AccountDisowned(logger, user.Id, held.Count);
        signal.Notify();
        return true;
    }
}
