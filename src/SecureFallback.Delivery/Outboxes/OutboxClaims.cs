using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Delivery.Outboxes;

/// <summary>
/// Claims on outbox flags, taken first in the transaction that acts on them. Instances sharing one database scan
/// the same flags; a conditional update lets exactly one of them go on (on PostgreSQL the loser's update waits
/// for the winner's commit, then matches nothing), so a DSN, notice or receipt is never queued twice.
/// </summary>
internal static class OutboxClaims
{
    public static async Task<bool> TakeDsnFlagsAsync(SecureFallbackDbContext db, IReadOnlyCollection<QueuedRecipient> recipients, CancellationToken cancellationToken)
    {
        var ids = recipients.Select(r => r.Id).ToList();
        return await db.Recipients.Where(r => ids.Contains(r.Id) && r.DsnPending)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.DsnPending, false), cancellationToken) == ids.Count;
    }

    public static async Task<bool> TakePickupNoticeFlagsAsync(SecureFallbackDbContext db, IReadOnlyCollection<QueuedRecipient> recipients, CancellationToken cancellationToken)
    {
        var ids = recipients.Select(r => r.Id).ToList();
        return await db.Recipients.Where(r => ids.Contains(r.Id) && r.PickupNoticePending)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.PickupNoticePending, false), cancellationToken) == ids.Count;
    }

    /// <summary>Takes the read-receipt flag, the "opened again" flag, or both, as they were when the grant was read.</summary>
    public static async Task<bool> TakeReadReceiptFlagsAsync(SecureFallbackDbContext db, PickupGrant grant, bool receipt, bool reopen, CancellationToken cancellationToken) =>
        await db.PickupGrants.Where(g => g.Id == grant.Id && (!receipt || g.ReadReceiptPending) && (!reopen || g.ReopenNoticePending))
            .ExecuteUpdateAsync(s => s
                .SetProperty(g => g.ReadReceiptPending, g => g.ReadReceiptPending && !receipt)
                .SetProperty(g => g.ReopenNoticePending, g => g.ReopenNoticePending && !reopen), cancellationToken) == 1;

    public static async Task<bool> TakeLockReportFlagAsync(SecureFallbackDbContext db, QueuedRecipient recipient, CancellationToken cancellationToken) =>
        await db.Recipients.Where(r => r.Id == recipient.Id && r.LockReportPending)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LockReportPending, false), cancellationToken) == 1;

    public static async Task<bool> TakeDisownReportFlagAsync(SecureFallbackDbContext db, PortalUser user, CancellationToken cancellationToken) =>
        await db.Users.Where(u => u.Id == user.Id && u.DisownReportPending)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.DisownReportPending, false), cancellationToken) == 1;

    public static async Task<bool> TakeExpiredHoldsAsync(SecureFallbackDbContext db, IReadOnlyCollection<QueuedRecipient> recipients, CancellationToken cancellationToken)
    {
        var ids = recipients.Select(r => r.Id).ToList();
        return await db.Recipients.Where(r => ids.Contains(r.Id) && r.Status == RecipientStatus.HeldForPickup)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RecipientStatus.PickupExpired), cancellationToken) == ids.Count;
    }
}
