using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SecureFallback.Data;

/// <summary>
/// Sets per-connection SQLite pragmas: WAL for concurrent readers during writes, and <c>synchronous=FULL</c> so
/// a commit is on disk (not just in the OS cache) before the intake answers 250; <c>secure_delete</c>, so a deleted
/// row's bytes (ciphertext, wrapped keys) are overwritten with zeros rather than left in free pages.
/// </summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    /// <summary>Stateless, so one instance serves every context.</summary>
    public static readonly SqlitePragmaInterceptor Instance = new();

    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA secure_delete=ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
