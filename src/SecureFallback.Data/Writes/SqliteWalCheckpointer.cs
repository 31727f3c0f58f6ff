using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;

namespace SecureFallback.Data.Writes;

/// <summary>
/// After a write that purged content commits, folds the WAL into the database file and truncates it
/// (<c>PRAGMA wal_checkpoint(TRUNCATE)</c>), so the purged pages — already zeroed by <c>secure_delete</c> — are gone
/// from the WAL too. Runs in the background, outside any transaction and holding this process's write gate; purges
/// that commit while one is pending share it (a burst of purges makes one checkpoint).
/// </summary>
internal sealed partial class SqliteWalCheckpointer(WriteGate gate, ILogger<SqliteWalCheckpointer> logger) : DbTransactionInterceptor
{
    /// <summary>Lets a burst of purges (one per delivered batch) commit before the one checkpoint for all of them.</summary>
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the checkpoint waits for readers of older snapshots before it settles for part of the WAL.</summary>
    private const int ReaderWaitMilliseconds = 250;

    private int _pending;

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => AfterCommit(eventData);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        AfterCommit(eventData);
        return Task.CompletedTask;
    }

    private void AfterCommit(TransactionEndEventData eventData)
    {
        if (eventData.Context is SecureFallbackDbContext { PurgedContent: true } db)
        {
            db.PurgedContent = false;
            Request(db.Database.GetConnectionString()!);
        }
    }

    private void Request(string connectionString)
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _ = Task.Run(() => CheckpointAsync(connectionString));
        }
    }

    private async Task CheckpointAsync(string connectionString)
    {
        try
        {
            await Task.Delay(Coalesce);
            bool complete;
            using (await gate.EnterAsync(CancellationToken.None))
            {
                // Purges committed from here on need a checkpoint of their own: they may land after this one.
                Volatile.Write(ref _pending, 0);
                var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = false };
                await using var connection = new SqliteConnection(builder.ToString());
                await connection.OpenAsync();
                await using (var wait = connection.CreateCommand())
                {
                    wait.CommandText = $"PRAGMA busy_timeout={ReaderWaitMilliseconds};";
                    await wait.ExecuteNonQueryAsync();
                }

                // One row: busy (0 when the whole WAL was checkpointed), frames in the log, frames checkpointed.
                await using var checkpoint = connection.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
                await using var reader = await checkpoint.ExecuteReaderAsync();
                complete = await reader.ReadAsync() && reader.GetInt32(0) == 0;
            }

            if (!complete)
            {
                // A reader still used an older snapshot: the WAL was checkpointed only in part. Try again later.
                Log.CheckpointIncomplete(logger);
                await Task.Delay(TimeSpan.FromSeconds(5));
                Request(connectionString);
            }
        }
        catch (Exception ex)
        {
            // Whatever failed, the next purge asks again (a stuck flag would end checkpoints for good).
            Volatile.Write(ref _pending, 0);
            Log.CheckpointFailed(logger, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3009, Level = LogLevel.Debug, Message = "The WAL checkpoint after a purge met a reader of an older snapshot; trying again shortly")]
        public static partial void CheckpointIncomplete(ILogger logger);

        [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "The WAL checkpoint after a purge failed ({Error}); the next purge tries again")]
        public static partial void CheckpointFailed(ILogger logger, string error);
    }
}
