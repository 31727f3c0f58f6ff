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
/// "This was not me": the holder of a pickup link or reference code (either proves they read that mailbox) reports
/// that the account for its address was created by someone else. It is offered and honoured only for a non-admin
/// account registered (its password first set, <see cref="PortalUser.RegisteredAt"/>, never the date of a pending row
/// an early code request made) after the grant was issued, or by this grant's own link or code
/// (<see cref="IsOfferedAsync"/>): someone who registered in answer to this
/// very notice, by its link, its reference code or a mailed registration code. An account made before the notice, or
/// an admin account, is never locked by whoever holds a live link. In one write: the account is locked for good and its sessions end
/// (security stamp), every held copy for the address is locked (<see cref="QueuedRecipient.LockPickup"/>), and the
/// reports to each sender and to the admins are owed (outbox flags, sent by the delivery loop).
/// </summary>
public sealed class AccountDisowning(
    SecureFallbackDbContext db,
    UserManager<PortalUser> users,
    PortalAccounts accounts,
    IDeliverySignal signal,
    TimeProvider timeProvider,
    ILogger<AccountDisowning> logger)
{
    /// <summary>True when the account for <paramref name="address"/> was disowned already.</summary>
    public async Task<bool> IsDisownedAsync(string address) =>
        await users.FindByEmailAsync(address) is { DisownedAt: not null };

    /// <summary>
    /// True when the holder of <paramref name="grant"/> may say "I did not create this account": the address has a
    /// finished, not yet disowned, non-admin account registered after the grant was issued or by this grant.
    /// </summary>
    public async Task<bool> IsOfferedAsync(PickupGrant grant) =>
        await users.FindByEmailAsync(grant.Address) is { } user && await IsOfferedToAsync(grant, user);

    /// <summary>
    /// Disowns the account of <paramref name="grant"/>'s address; false (and nothing changes) when it has none, was
    /// disowned before, is an admin account or was created before the grant (<see cref="IsOfferedAsync"/>).
    /// </summary>
    public async Task<bool> DisownAsync(PickupGrant grant, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
        var user = await users.FindByEmailAsync(grant.Address);
        if (user is null || !await IsOfferedToAsync(grant, user))
        {
            return false;
        }

        (user.DisownedAt, user.DisownReportPending) = (now, true);
        user.LockoutEnabled = true;
        user.LockoutEnd = DateTimeOffset.MaxValue; // no end: only an administrator deals with it
        await users.UpdateSecurityStampAsync(user); // saves the user; every existing session dies at its next request

        var key = PickupGrant.AddressKeyOf(grant.Address);
        var recipientIds = db.PickupGrants.Where(g => g.AddressKey == key).Select(g => g.RecipientId);
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

    private async Task<bool> IsOfferedToAsync(PickupGrant grant, PortalUser user) =>
        user.DisownedAt is null
        && (user.RegisteredAt >= grant.CreatedAt || user.CreatedByGrantId == grant.Id)
        && await users.HasPasswordAsync(user)
        && await accounts.IsReachableAsync(user);
}
