using Microsoft.Data.Sqlite;
using SecureFallback.Data;

namespace SecureFallback.Server.Tests;

/// <summary>
/// The per-connection pragmas are set once per SQLite connection, not at every open from the pool (they were
/// half the statements SQLite ran per delivered message: issue 18), and a connection that served a relaxed write
/// comes back from the pool with <c>synchronous=FULL</c>.
/// </summary>
public sealed class SqlitePragmaTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sf-pragmas-").FullName;

    [Fact]
    public async Task PooledConnection_OpenedAgain_KeepsItsPragmasWithoutSettingThemAgain_AndIsFullySynchronousAfterARelaxedWrite()
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, "pragmas.db"), Pooling = true }.ToString();
        await using (var first = await OpenAsync(connectionString))
        {
            Assert.Equal("wal", await PragmaAsync(first, "journal_mode"));
            Assert.Equal(("2", "1", "10000", "1"), (await PragmaAsync(first, "synchronous"), await PragmaAsync(first, "foreign_keys"), await PragmaAsync(first, "busy_timeout"), await PragmaAsync(first, "secure_delete")));
            await ExecuteAsync(first, "PRAGMA busy_timeout=1234;"); // a mark: setting the pragmas again would undo it
        }

        await using (var second = await OpenAsync(connectionString))
        {
            Assert.Equal("1234", await PragmaAsync(second, "busy_timeout"));
            await SqlitePragmaInterceptor.RelaxSynchronousAsync(second, CancellationToken.None);
            Assert.Equal("1", await PragmaAsync(second, "synchronous"));
        }

        await using var third = await OpenAsync(connectionString);
        Assert.Equal("2", await PragmaAsync(third, "synchronous"));
        Assert.Equal("1234", await PragmaAsync(third, "busy_timeout"));
    }

    [Fact]
    public async Task Connection_WhosePragmasFail_IsClosedAgain_SoItsNextUseOpensAndSetsThemAfresh()
    {
        // EF Core leaves a connection open when an "opened" interceptor throws, and the context's next command then
        // runs on it without foreign_keys, busy_timeout or secure_delete. Here journal_mode=WAL cannot get its lock.
        var path = Path.Combine(_directory, "locked.db");
        await using var holder = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await holder.OpenAsync();
        await ExecuteAsync(holder, "CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);");
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 1 }.ToString());
        await connection.OpenAsync();

        await Assert.ThrowsAsync<SqliteException>(() => SqlitePragmaInterceptor.Instance.ConnectionOpenedAsync(connection, null!));

        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<SqliteConnection> OpenAsync(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await SqlitePragmaInterceptor.Instance.ConnectionOpenedAsync(connection, null!);
        return connection;
    }

    private static async Task<string> PragmaAsync(SqliteConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
