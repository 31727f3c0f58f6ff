using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Data;

namespace SecureFallback.Server;

/// <summary>
/// One server per SQLite data directory: <c>securefallback.lock</c> in the data directory, opened without sharing
/// (an exclusive <c>flock</c> on Linux) for the life of the process, so a second server on the same data (a second
/// intake and delivery worker on one queue) refuses to start. The verbs that are safe beside a running server (backup,
/// users, keys) do not take it. PostgreSQL instances share a queue by design and take no lock.
/// </summary>
internal static class DataDirectoryLock
{
    public const string FileName = "securefallback.lock";

    /// <summary>Takes the lock, or returns null when the database is not SQLite.</summary>
    /// <exception cref="DataDirectoryInUseException">Another process holds it.</exception>
    public static FileStream? Acquire(IServiceProvider services)
    {
        var provider = services.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider;
        if (!string.Equals(provider, DatabaseProvider.Sqlite, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var directory = services.GetRequiredService<IOptions<DataDirectoryOptions>>().Value.FullPath;
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (ex is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            throw new DataDirectoryInUseException(
                $"another SecureFallback server is already running on the data directory {directory} ({FileName} is locked). "
                + "Stop it first, or give this one its own SecureFallback:DataDirectory (several instances share a queue only on PostgreSQL).",
                ex);
        }
    }
}

/// <summary>Another server holds the data directory's lock.</summary>
internal sealed class DataDirectoryInUseException(string message, Exception inner) : Exception(message, inner);
