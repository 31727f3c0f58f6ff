using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Data;
using SecureFallback.Protection;

namespace SecureFallback.Server.Cli;

/// <summary>
/// <c>securefallback backup DIR</c>: a consistent copy of everything needed to bring the server back, taken while
/// it runs. The database through SQLite's online backup API (a snapshot, even mid-write), then the master key
/// ring, the portal's Data Protection keys and the intake certificate, which are plain files that change rarely.
/// The key files are copied after the database, so every key the snapshot needs is in the copy.
/// </summary>
internal static class BackupCommand
{
    public static async Task<int> RunAsync(string target, string[] settings)
    {
        using var host = CliHost.Build(settings, services => services.AddOptions<ProtectionOptions>().BindConfiguration(ProtectionOptions.SectionName));
        var data = host.Services.GetRequiredService<IOptions<DataDirectoryOptions>>().Value;
        if (host.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.IsPostgres)
        {
            // The database (with the key rings in it) is PostgreSQL's to back up; only the sealing key lives here.
            Console.Error.WriteLine(
                "With SecureFallback:Database:Provider=postgres, back up the database with pg_dump (it holds the queue and both key rings, sealed) " +
                "and, kept apart from it, keys/kek.key (or the key certificate). `securefallback backup` is for SQLite.");
            return 64;
        }

        var database = data.Resolve(host.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.SqlitePath);
        var keys = data.Resolve(host.Services.GetRequiredService<IOptions<ProtectionOptions>>().Value.KeyDirectory);
        if (!File.Exists(database))
        {
            Console.Error.WriteLine($"No database at {database}: nothing to back up (check SecureFallback:DataDirectory).");
            return 1;
        }

        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            Console.Error.WriteLine($"{target} is not empty; give a new or empty folder.");
            return 64;
        }

        Directory.CreateDirectory(target);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            var source = (SqliteConnection)db.Database.GetDbConnection();
            await source.OpenAsync();
            await using var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(target, "securefallback.db"), Pooling = false }.ToString());
            await destination.OpenAsync();
            await CopyOnlineAsync(source, destination);
        }

        var copied = CopyFolder(keys, Path.Combine(target, "keys"), "master-v*.key")
            + CopyFolder(data.Resolve("dataprotection"), Path.Combine(target, "dataprotection"), "*.xml")
            + CopyFolder(data.Resolve("tls"), Path.Combine(target, "tls"), "*");
        Console.WriteLine($"Backed up the database and {copied} key and certificate files to {Path.GetFullPath(target)}.");
        Console.WriteLine("Keep it as safe as the server: with the File key provider it opens every held message.");
        return 0;
    }

    /// <summary>
    /// SQLite's online backup, beside a running server. The server may hold the write lock for a moment (a group
    /// commit); Microsoft.Data.Sqlite retries only its own commands, so SQLite's busy handler is set here and a
    /// backup that still meets a lock is tried again.
    /// </summary>
    private static async Task CopyOnlineAsync(SqliteConnection source, SqliteConnection destination)
    {
        await using (var busyTimeout = source.CreateCommand())
        {
            busyTimeout.CommandText = "PRAGMA busy_timeout=10000;";
            await busyTimeout.ExecuteNonQueryAsync();
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                source.BackupDatabase(destination);
                return;
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode is 5 or 6 && attempt < 20) // SQLITE_BUSY, SQLITE_LOCKED
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
    }

    private static int CopyFolder(string source, string destination, string pattern)
    {
        if (!Directory.Exists(source))
        {
            return 0;
        }

        Directory.CreateDirectory(destination);
        var count = 0;
        foreach (var file in Directory.EnumerateFiles(source, pattern).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            var copy = Path.Combine(destination, Path.GetFileName(file));
            File.Copy(file, copy);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            count++;
        }

        return count;
    }
}
