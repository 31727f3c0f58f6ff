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

    public static async Task<bool> TakeReadReceiptFlagAsync(SecureFallbackDbContext db, PickupGrant grant, CancellationToken cancellationToken) =>
        await db.PickupGrants.Where(g => g.Id == grant.Id && g.ReadReceiptPending)
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.ReadReceiptPending, false), cancellationToken) == 1;

    /// <summary>Takes one reading's report: its row is removed with the notice queued in the same transaction.</summary>
    public static async Task<bool> TakeReadingReportAsync(SecureFallbackDbContext db, ReadingReport report, CancellationToken cancellationToken) =>
        await db.ReadingReports.Where(r => r.Id == report.Id).ExecuteDeleteAsync(cancellationToken) == 1;

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
