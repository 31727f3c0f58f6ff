using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace SecureFallback.Data;

/// <summary>
/// Applies pending migrations once per process, then marks the database ready: at start as a hosted service, or
/// earlier for whoever needs the schema first (the server's key ring check), after which the start has nothing
/// left to do.
/// </summary>
internal sealed class DatabaseMigrator(IServiceScopeFactory scopeFactory, DatabaseReadiness readiness) : IHostedService
{
    private readonly SemaphoreSlim _once = new(1, 1);

    public Task StartAsync(CancellationToken cancellationToken) => EnsureMigratedAsync(cancellationToken);

    public async Task EnsureMigratedAsync(CancellationToken cancellationToken)
    {
        await _once.WaitAsync(cancellationToken);
        try
        {
            if (readiness.IsReady)
            {
                return;
            }

            await using var scope = scopeFactory.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().MigrateToCurrentAsync(cancellationToken);
            readiness.MarkReady();
        }
        finally
        {
            _once.Release();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>What every entry point (server, CLI verbs) calls before using the database.</summary>
public static class DatabaseSchema
{
    /// <summary>
    /// Applies pending migrations once per process and marks the database ready; the server's start and its key
    /// ring check share the one pass.
    /// </summary>
    public static Task EnsureMigratedAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<DatabaseMigrator>().EnsureMigratedAsync(cancellationToken);

    /// <summary>Creates a missing PostgreSQL database quietly (see <see cref="PostgresDatabaseCreation"/>), then applies pending migrations.</summary>
    public static async Task MigrateToCurrentAsync(this SecureFallbackDbContext db, CancellationToken cancellationToken = default)
    {
        if (!db.Database.IsNpgsql())
        {
            try
            {
                await db.HoldingWriteGateAsync(() => db.Database.MigrateAsync(cancellationToken), cancellationToken);
            }
            finally
            {
                SqlitePragmaInterceptor.ForgetAll(); // a migration, finished or failed half-way, may have changed a pooled connection's pragmas
            }

            return;
        }

        await PostgresDatabaseCreation.EnsureExistsAsync(db.Database.GetConnectionString()!, cancellationToken);
        // Instances started together take turns (a session lock on this connection, which EF then migrates on):
        // PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against itself.
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken);
            // EF Core reads the history table before creating it and logs the failure as an error on every first
            // start (dotnet/efcore#37328); created first, there is nothing to fail.
            await db.HoldingWriteGateAsync(
                async () =>
                {
                    await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
                    await db.Database.MigrateAsync(cancellationToken);
                },
                cancellationToken);
        }
        finally
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The advisory lock that serialises schema changes between instances ("SFMI").</summary>
    private const long MigrationLockKey = 0x5346_4D49;
}

/// <summary>
/// Creates a missing PostgreSQL database before EF Core looks for it. EF's own check logs a failed connection at
/// error level on every first start, and instances started together (compose) race on <c>CREATE DATABASE</c>,
/// the loser logging another failure; here the database is probed, created, and a lost race is simply fine.
/// </summary>
internal static class PostgresDatabaseCreation
{
    public static async Task EnsureExistsAsync(string connectionString, CancellationToken cancellationToken)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        if (string.IsNullOrEmpty(database) || await ExistsAsync(connectionString, cancellationToken))
        {
            return;
        }

        try
        {
            var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
            await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another instance created it a moment ago.
        }
        catch (NpgsqlException)
        {
            // No right to create databases here (or no maintenance database): EF Core tries next and says why.
        }
    }

    private static async Task<bool> ExistsAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            return true;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return false;
        }
    }
}

/// <summary>Set once migrations are applied; read by the health check and by workers that must wait for the schema.</summary>
public sealed class DatabaseReadiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    public Task WhenReady => _ready.Task;

    internal void MarkReady() => _ready.TrySetResult();
}
