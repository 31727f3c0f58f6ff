using Microsoft.EntityFrameworkCore;

namespace SecureFallback.Data.Writes;

/// <summary>Switches a SQLite connection to <c>synchronous=NORMAL</c> for <see cref="WriteDurability.Relaxed"/> writes.</summary>
internal static class RelaxedDurability
{
    /// <summary>Opens the context's connection and relaxes fsync for it until the connection is closed.</summary>
    public static async Task UseRelaxedDurabilityAsync(this SecureFallbackDbContext db, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite())
        {
            return;
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        await SqlitePragmaInterceptor.RelaxSynchronousAsync(db.Database.GetDbConnection(), cancellationToken);
    }
}
