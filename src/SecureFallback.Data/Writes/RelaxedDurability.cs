using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace SecureFallback.Data;

/// <summary>
/// For state changes whose loss can only cause a repeat, never a loss: delivery outcomes and queued DSNs.
/// Under WAL, <c>synchronous=NORMAL</c> still survives a process crash; only an OS crash or power cut may roll
/// back the last such commits, and then the recipient is simply tried (or the DSN built) again. Intake commits
/// keep <c>synchronous=FULL</c> because the 250 promises the message is on disk; their fsync also covers
/// every earlier relaxed commit in the WAL.
/// </summary>
public static class RelaxedDurability
{
    /// <summary>Opens the context's connection and relaxes fsync for it until the connection is closed.</summary>
    public static async Task UseRelaxedDurabilityAsync(this SecureFallbackDbContext db, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite())
        {
            return;
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        DbConnection connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL;";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
