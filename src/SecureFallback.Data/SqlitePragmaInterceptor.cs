using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SQLitePCL;

namespace SecureFallback.Data;

/// <summary>
/// Sets per-connection SQLite pragmas: WAL for concurrent readers during writes, and <c>synchronous=FULL</c> so
/// a commit is on disk (not just in the OS cache) before the intake answers 250; <c>secure_delete</c>, so a deleted
/// row's bytes (ciphertext, wrapped keys) are overwritten with zeros rather than left in free pages.
/// </summary>
/// <remarks>
/// Pragmas belong to the SQLite connection, which the pool keeps open between uses: they are set at its first open
/// only (at every open they were half the statements SQLite ran per delivered message). The one pragma changed on
/// the way, <c>synchronous</c> for a relaxed write (<see cref="RelaxSynchronousAsync"/>), is set back to
/// <c>FULL</c> at the next open, so every open hands out a fully synchronous connection. After migrations (which may
/// switch <c>foreign_keys</c> off and on) every connection sets them all again (<see cref="ForgetAll"/>).
/// </remarks>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    /// <summary>Stateless, so one instance serves every context.</summary>
    public static readonly SqlitePragmaInterceptor Instance = new();

    private const string Pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA secure_delete=ON;";
    private const string FullySynchronous = "PRAGMA synchronous=FULL;";

    /// <summary>What was set on each SQLite connection (the pool's handle), as long as it lives.</summary>
    private static readonly ConditionalWeakTable<sqlite3, Set> SetOn = new();

    /// <summary>Bumped by <see cref="ForgetAll"/>: a connection set in an earlier generation is set again.</summary>
    private static int _generation;

    /// <summary>Every connection sets all pragmas again at its next open.</summary>
    public static void ForgetAll() => Interlocked.Increment(ref _generation);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (ToSet(connection) is { } pragmas)
        {
            try
            {
                using var command = connection.CreateCommand();
                command.CommandText = pragmas;
                command.ExecuteNonQuery();
            }
            catch
            {
                connection.Close(); // see ConnectionOpenedAsync
                throw;
            }

            Done(connection);
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (ToSet(connection) is { } pragmas)
        {
            try
            {
                await using var command = connection.CreateCommand();
                command.CommandText = pragmas;
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch
            {
                // EF Core leaves a connection open when this throws; the context's next command would then run on it
                // without the pragmas. Closed, it is opened (and set up) again by whatever uses it next.
                await connection.CloseAsync();
                throw;
            }

            Done(connection);
        }
    }

    /// <summary>Sets <c>synchronous=NORMAL</c> on the open <paramref name="connection"/> for a relaxed write, until its next open.</summary>
    public static async Task RelaxSynchronousAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (StateOf(connection) is { } state)
        {
            state.Relaxed = true; // before the change: if it fails half-way, the next open still sets FULL
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL;";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The pragmas this open must set: all of them on a new connection, FULL after a relaxed write, else none.</summary>
    private static string? ToSet(DbConnection connection) => StateOf(connection) switch
    {
        null => Pragmas, // not a pooled SQLite connection we can follow: set them all
        var state when state.Generation != Volatile.Read(ref _generation) => Pragmas,
        { Relaxed: true } => FullySynchronous,
        _ => null,
    };

    private static void Done(DbConnection connection)
    {
        if (StateOf(connection) is { } state)
        {
            (state.Generation, state.Relaxed) = (Volatile.Read(ref _generation), false);
        }
    }

    private static Set? StateOf(DbConnection connection) =>
        connection is SqliteConnection { Handle: { } handle } ? SetOn.GetValue(handle, _ => new Set { Generation = -1 }) : null;

    /// <summary>One connection's pragmas: the generation they were set in, and whether a relaxed write changed <c>synchronous</c> since.</summary>
    private sealed class Set
    {
        public int Generation { get; set; }

        public bool Relaxed { get; set; }
    }
}
