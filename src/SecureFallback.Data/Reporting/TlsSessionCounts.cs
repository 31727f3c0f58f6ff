using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using SecureFallback.Core.Reporting;

namespace SecureFallback.Data.Reporting;

/// <summary>
/// Adds TLS session counts to the day's rows with one upsert per kind of session (<c>INSERT … ON CONFLICT DO UPDATE
/// SET count = count + new</c>, the same text on SQLite and PostgreSQL): atomic per row, so instances sharing
/// PostgreSQL add up without losing counts, and without reading first.
/// </summary>
internal static class TlsSessionCounts
{
    /// <summary>
    /// Adds <paramref name="counts"/> inside a savepoint of <paramref name="transaction"/>: when that fails, only the
    /// counts are rolled back, never the write they ride along with.
    /// </summary>
    /// <returns>The error, or null when the counts were added.</returns>
    public static async Task<Exception?> AddAsync(SecureFallbackDbContext db, IDbContextTransaction transaction, IReadOnlyList<TlsSessionCount> counts, CancellationToken cancellationToken)
    {
        if (counts.Count == 0)
        {
            return null;
        }

        const string Savepoint = "tls_session_counts";
        await transaction.CreateSavepointAsync(Savepoint, cancellationToken);
        try
        {
            // One order for every writer, so two instances adding to the same rows cannot deadlock on them.
            foreach (var c in Merged(counts))
            {
                await db.Database.ExecuteSqlAsync(
                    $"""
                    INSERT INTO "TlsSessionCounts" ("Day", "PolicyDomain", "PolicyKey", "Policy", "ResultType", "SendingIp", "ReceivingMxHost", "ReceivingIp", "ReceivingMxHelo", "SessionCount")
                    VALUES ({c.Day}, {c.PolicyDomain}, {c.PolicyKey}, {c.Policy}, {c.ResultType}, {c.SendingIp}, {c.ReceivingMxHost}, {c.ReceivingIp}, {c.ReceivingMxHelo}, {c.SessionCount})
                    ON CONFLICT ("Day", "PolicyDomain", "PolicyKey", "ResultType", "SendingIp", "ReceivingMxHost", "ReceivingIp", "ReceivingMxHelo")
                    DO UPDATE SET "SessionCount" = "TlsSessionCounts"."SessionCount" + excluded."SessionCount"
                    """,
                    cancellationToken);
            }

            await transaction.ReleaseSavepointAsync(Savepoint, cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await transaction.RollbackToSavepointAsync(Savepoint, CancellationToken.None);
            return ex;
        }
    }

    /// <summary>Rows of one key summed into the first of them (the caller's rows are made for this write), in key order.</summary>
    private static IEnumerable<TlsSessionCount> Merged(IEnumerable<TlsSessionCount> counts) =>
        counts.GroupBy(c => (c.Day, c.PolicyDomain, c.PolicyKey, c.ResultType, c.SendingIp, c.ReceivingMxHost, c.ReceivingIp, c.ReceivingMxHelo))
            .OrderBy(g => string.Join('\n', g.Key.Day, g.Key.PolicyDomain, g.Key.PolicyKey, g.Key.ResultType, g.Key.SendingIp, g.Key.ReceivingMxHost, g.Key.ReceivingIp, g.Key.ReceivingMxHelo), StringComparer.Ordinal)
            .Select(g =>
            {
                var (first, total) = (g.First(), g.Sum(c => c.SessionCount));
                first.SessionCount = total;
                return first;
            })
            .ToList();
}
