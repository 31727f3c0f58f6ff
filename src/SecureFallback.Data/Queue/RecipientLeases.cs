using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Messages;

namespace SecureFallback.Data.Queue;

/// <summary>
/// Claims on queued recipients, so that several instances on one PostgreSQL database share the queue and each
/// recipient is attempted by one of them at a time. A claim is a row lease: owner plus expiry, taken in one
/// statement (<c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL, so instances never wait on each other's rows; SQLite
/// has one writer, which makes the same statement atomic there). A crashed instance's claims lapse at their
/// expiry and the recipients are taken up again.
/// </summary>
internal static class RecipientLeases
{
    /// <summary>
    /// Whether <paramref name="owner"/> may claim a recipient at <paramref name="now"/>, as <see cref="ClaimAsync"/>
    /// decides it: nobody holds it, its claim lapsed, or the claim is the caller's own leftover.
    /// </summary>
    public static Expression<Func<QueuedRecipient, bool>> FreeFor(string owner, DateTimeOffset now) =>
        r => r.LeaseUntil == null || r.LeaseUntil <= now || r.LeaseOwner == owner;

    /// <summary>
    /// Claims up to <paramref name="limit"/> due recipients of <paramref name="domains"/> that nobody else holds and
    /// that are not in <paramref name="leaveOut"/>. The caller's own earlier claims count as free, but for those its
    /// running deliveries hold (<paramref name="leaveOut"/>, for a domain it is working on already): any other was
    /// left by a run that failed (say, the disk was full when it came to record).
    /// </summary>
    /// <returns>The ids now held by <paramref name="owner"/> until <paramref name="until"/>.</returns>
    public static Task<List<long>> ClaimAsync(
        SecureFallbackDbContext db,
        IReadOnlyCollection<string> domains,
        IReadOnlyCollection<long> leaveOut,
        string owner,
        DateTimeOffset now,
        DateTimeOffset until,
        int limit,
        CancellationToken cancellationToken)
    {
        var (nowTicks, untilTicks) = (now.UtcTicks, until.UtcTicks);
        return (db.Database.IsNpgsql()
            ? db.Database.SqlQuery<long>($"""
                UPDATE "Recipients" SET "LeaseOwner" = {owner}, "LeaseUntil" = {untilTicks}
                WHERE "Id" IN (
                    SELECT "Id" FROM "Recipients"
                    WHERE "Status" = 0 AND "NextAttemptAt" <= {nowTicks} AND ("LeaseUntil" IS NULL OR "LeaseUntil" <= {nowTicks} OR "LeaseOwner" = {owner})
                      AND "Domain" = ANY({domains.ToArray()}) AND NOT ("Id" = ANY({leaveOut.ToArray()}))
                    ORDER BY "NextAttemptAt" LIMIT {limit}
                    FOR UPDATE SKIP LOCKED)
                RETURNING "Id" AS "Value"
                """)
            : db.Database.SqlQuery<long>($"""
                UPDATE "Recipients" SET "LeaseOwner" = {owner}, "LeaseUntil" = {untilTicks}
                WHERE "Id" IN (
                    SELECT "Id" FROM "Recipients"
                    WHERE "Status" = 0 AND "NextAttemptAt" <= {nowTicks} AND ("LeaseUntil" IS NULL OR "LeaseUntil" <= {nowTicks} OR "LeaseOwner" = {owner})
                      AND "Domain" IN (SELECT value FROM json_each({JsonSerializer.Serialize(domains)}))
                      AND "Id" NOT IN (SELECT value FROM json_each({JsonSerializer.Serialize(leaveOut)}))
                    ORDER BY "NextAttemptAt" LIMIT {limit})
                RETURNING "Id" AS "Value"
                """)).ToListAsync(cancellationToken);
    }

    /// <summary>Extends the claims <paramref name="owner"/> still holds among <paramref name="ids"/>.</summary>
    /// <returns>The ids still held; the others lapsed and may have been taken by another instance.</returns>
    public static Task<List<long>> RenewAsync(
        SecureFallbackDbContext db, IReadOnlyCollection<long> ids, string owner, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var untilTicks = until.UtcTicks;
        return (db.Database.IsNpgsql()
            ? db.Database.SqlQuery<long>($"""
                UPDATE "Recipients" SET "LeaseUntil" = {untilTicks}
                WHERE "Id" = ANY({ids.ToArray()}) AND "LeaseOwner" = {owner} AND "Status" = 0
                RETURNING "Id" AS "Value"
                """)
            : db.Database.SqlQuery<long>($"""
                UPDATE "Recipients" SET "LeaseUntil" = {untilTicks}
                WHERE "Id" IN (SELECT value FROM json_each({JsonSerializer.Serialize(ids)})) AND "LeaseOwner" = {owner} AND "Status" = 0
                RETURNING "Id" AS "Value"
                """)).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Those of <paramref name="ids"/> that <paramref name="owner"/> still holds, locked (on PostgreSQL, in id order)
    /// until the caller's transaction ends, so no other instance can claim them before the caller's outcome is in.
    /// A claim of ours that lapsed but nobody took is still ours: taking it would have changed the owner.
    /// </summary>
    public static Task<List<long>> HeldAsync(SecureFallbackDbContext db, IReadOnlyCollection<long> ids, string owner, CancellationToken cancellationToken) =>
        (db.Database.IsNpgsql()
            ? db.Database.SqlQuery<long>($"""
                SELECT "Id" AS "Value" FROM "Recipients" WHERE "Id" = ANY({ids.ToArray()}) AND "LeaseOwner" = {owner}
                ORDER BY "Id" FOR NO KEY UPDATE
                """)
            : db.Database.SqlQuery<long>($"""
                SELECT "Id" AS "Value" FROM "Recipients"
                WHERE "Id" IN (SELECT value FROM json_each({JsonSerializer.Serialize(ids)})) AND "LeaseOwner" = {owner}
                """)).ToListAsync(cancellationToken);

    /// <summary>
    /// Drops every claim of <paramref name="owner"/>: called when an instance starts, because a claim under its
    /// name can only be left over from a run that died (names are unique per instance).
    /// </summary>
    public static Task<int> ReleaseAllAsync(SecureFallbackDbContext db, string owner, CancellationToken cancellationToken) =>
        db.Recipients.Where(r => r.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, (string?)null).SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null), cancellationToken);
}
