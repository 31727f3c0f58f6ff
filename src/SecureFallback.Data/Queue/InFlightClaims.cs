using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace SecureFallback.Data.Queue;

/// <summary>
/// Claims for a domain this instance is delivering to already (<see cref="IQueueLeases.ClaimMoreAsync"/>): the
/// statement of <see cref="RecipientLeases.ClaimAsync"/> (one statement, <c>FOR UPDATE SKIP LOCKED</c> on
/// PostgreSQL), but the recipients the running deliveries hold are not free, though the claims are our own.
/// It repeats that statement with one more condition only because RecipientLeases is being rewritten in parallel:
/// once that lands, this belongs there as an optional set of ids to leave out.
/// </summary>
internal static class InFlightClaims
{
    /// <summary>Claims up to <paramref name="limit"/> due recipients of <paramref name="domains"/> that nobody else holds and that are not in <paramref name="inHand"/>.</summary>
    /// <returns>The ids now held by <paramref name="owner"/> until <paramref name="until"/>.</returns>
    public static Task<List<long>> ClaimAsync(
        SecureFallbackDbContext db,
        IReadOnlyCollection<string> domains,
        IReadOnlyCollection<long> inHand,
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
                      AND "Domain" = ANY({domains.ToArray()}) AND NOT ("Id" = ANY({inHand.ToArray()}))
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
                      AND "Id" NOT IN (SELECT value FROM json_each({JsonSerializer.Serialize(inHand)}))
                    ORDER BY "NextAttemptAt" LIMIT {limit})
                RETURNING "Id" AS "Value"
                """)).ToListAsync(cancellationToken);
    }
}
