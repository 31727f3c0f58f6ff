using Microsoft.EntityFrameworkCore;

namespace SecureFallback.Data.Writes;

/// <summary>Row locks on messages, for transactions that decide from all of a message's recipients at once.</summary>
internal static class MessageLocks
{
    /// <summary>
    /// On PostgreSQL, locks the message rows until the transaction ends (in id order, so two transactions cannot
    /// deadlock on them). SQLite needs nothing: it has one writer at a time.
    /// </summary>
    public static async Task LockAsync(SecureFallbackDbContext db, IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken)
    {
        if (!db.Database.IsNpgsql() || messageIds.Count == 0)
        {
            return;
        }

        await db.Database.SqlQuery<Guid>($"""
            SELECT "Id" AS "Value" FROM "Messages" WHERE "Id" = ANY({messageIds.ToArray()}) ORDER BY "Id" FOR UPDATE
            """).ToListAsync(cancellationToken);
    }
}
