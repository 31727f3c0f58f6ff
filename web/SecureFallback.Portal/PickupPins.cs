using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.Data.Writes;

namespace SecureFallback.Portal;

/// <summary>What entering a PIN came to.</summary>
public enum PinResult
{
    /// <summary>The right PIN (or none was needed): the message opens for its recipient from now on.</summary>
    Opened,

    /// <summary>Not the PIN; tries remain.</summary>
    Wrong,

    /// <summary>Five wrong PINs: only a new PIN from the sender or an admin opens it.</summary>
    Locked,
}

/// <summary>
/// The sender's PIN on a held message (<see cref="PickupPin"/>): checking it for the recipient, and issuing a new one
/// from the held DSN's link. Wrong tries are counted with conditional updates in the database, never read-modify-write,
/// so however many requests race, a PIN is checked at most <see cref="PickupPin.MaxFailures"/> times.
/// </summary>
public sealed partial class PickupPins(SecureFallbackDbContext db, TimeProvider timeProvider, ILogger<PickupPins> logger)
{
    /// <summary>
    /// Checks <paramref name="typed"/> against the PIN of <paramref name="grant"/> (the signed-in recipient's own);
    /// the right one unlocks the message for the account's current credentials, <paramref name="accountStamp"/> (its
    /// security stamp): a later password reset or change of second step asks for the PIN again.
    /// </summary>
    public async Task<PinResult> EnterAsync(PickupGrant grant, string? typed, string? accountStamp, CancellationToken cancellationToken)
    {
        if (!grant.NeedsPinFor(accountStamp))
        {
            return PinResult.Opened;
        }

        if (grant.PinHash is not { } issued)
        {
            return PinResult.Wrong; // no PIN issued yet: nothing can match, and nothing to count
        }

        // Claim a try before checking: the count goes up first, only while below the limit and only for this PIN.
        var claimed = await WriteAsync(
            () => db.PickupGrants.Where(g => g.Id == grant.Id && (g.PinUnlockedAt == null || g.PinUnlockedStamp == null || g.PinUnlockedStamp != accountStamp) && g.PinFailures < PickupPin.MaxFailures && g.PinHash == issued)
                .ExecuteUpdateAsync(s => s.SetProperty(g => g.PinFailures, g => g.PinFailures + 1), cancellationToken),
            cancellationToken);
        if (claimed == 0)
        {
            return PinResult.Locked; // locked, or a new PIN replaced this one meanwhile
        }

        if (!PickupPin.Matches(issued, typed))
        {
            PortalPinLog.WrongPin(logger, grant.Id, grant.PinFailures + 1);
            return grant.PinFailures + 1 >= PickupPin.MaxFailures ? PinResult.Locked : PinResult.Wrong;
        }

        var now = timeProvider.GetUtcNow();
        var unlocked = await WriteAsync(
            () => db.PickupGrants.Where(g => g.Id == grant.Id && g.PinHash == issued)
                .ExecuteUpdateAsync(s => s.SetProperty(g => g.PinUnlockedAt, now).SetProperty(g => g.PinUnlockedStamp, accountStamp).SetProperty(g => g.PinFailures, 0), cancellationToken),
            cancellationToken);
        if (unlocked == 1)
        {
            PortalPinLog.Unlocked(logger, grant.Id);
        }

        return unlocked == 1 ? PinResult.Opened : PinResult.Locked;
    }

    /// <summary>The live grant behind a held DSN's new-PIN link (compared in constant time), or null.</summary>
    public async Task<PickupGrant?> FindByResetTokenAsync(string token, CancellationToken cancellationToken)
    {
        var hash = PickupGrant.HashToken(token);
        var now = timeProvider.GetUtcNow();
        var grant = await db.PickupGrants.SingleOrDefaultAsync(g => g.PinResetTokenHash == hash, cancellationToken);
        return grant is { PinResetTokenHash: { } stored } && CryptographicOperations.FixedTimeEquals(stored, hash) && grant.ExpiresAt > now && grant.PinRequired
            ? grant
            : null;
    }

    /// <summary>Issues a new PIN for <paramref name="grant"/> (its hash only is kept), resetting the wrong tries; returns it once.</summary>
    public async Task<string> IssueAsync(PickupGrant grant, string issuedBy, CancellationToken cancellationToken)
    {
        var pin = grant.IssuePin(timeProvider.GetUtcNow(), issuedBy);
        await WriteAsync(() => db.SaveChangesAsync(cancellationToken), cancellationToken);
        PortalPinLog.Issued(logger, grant.Id, issuedBy);
        return pin;
    }

    private async Task<int> WriteAsync(Func<Task<int>> change, CancellationToken cancellationToken)
    {
        await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
        var changed = await change();
        await write.CommitAsync(cancellationToken);
        return changed;
    }
}

/// <summary>The PIN's audit lines: which grant, what happened, who issued. Never a PIN.</summary>
public static partial class PortalPinLog
{
    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Wrong PIN for held message grant {GrantId} (try {Try} of 5)")]
    public static partial void WrongPin(ILogger logger, Guid grantId, int @try);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "Held message grant {GrantId} unlocked with its PIN")]
    public static partial void Unlocked(ILogger logger, Guid grantId);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Information, Message = "New PIN issued for held message grant {GrantId} by {IssuedBy}")]
    public static partial void Issued(ILogger logger, Guid grantId, string issuedBy);
}
