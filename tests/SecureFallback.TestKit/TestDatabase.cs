using System.Diagnostics;

namespace SecureFallback.TestKit;

/// <summary>
/// Which database the test servers use. <c>SECUREFALLBACK_TEST_DATABASE=postgres</c> runs them on a private
/// PostgreSQL cluster on loopback (started once by <c>scripts/test-postgres.sh</c>), one fresh database per
/// data directory; otherwise each uses SQLite in its data directory, the product's default.
/// </summary>
public static class TestDatabase
{
    private static readonly Lazy<string> Server = new(StartPostgres);

    public static bool IsPostgres =>
        string.Equals(Environment.GetEnvironmentVariable("SECUREFALLBACK_TEST_DATABASE"), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The settings that point a server with this data directory at its database.</summary>
    public static IEnumerable<string> Arguments(string dataDirectory) => IsPostgres
        ? ["--SecureFallback:Database:Provider=postgres", $"--ConnectionStrings:SecureFallback={PostgresConnectionString(DatabaseNameFor(dataDirectory))}"]
        : [];

    /// <summary>A connection string to <paramref name="database"/> on the test cluster (created by the server's migrations).</summary>
    public static string PostgresConnectionString(string database) => $"{Server.Value};Database={database}";

    /// <summary>A database name unique to one data directory, so tests never share state.</summary>
    public static string DatabaseNameFor(string dataDirectory) =>
        "sf_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory))))[..20];

    private static string StartPostgres()
    {
        var script = Path.Combine(RepositoryRoot(), "scripts", "test-postgres.sh");
        using var process = Process.Start(new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output.Trim()
            : throw new InvalidOperationException($"scripts/test-postgres.sh failed ({process.ExitCode}): {error}");
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SecureFallback.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("SecureFallback.sln not found above " + AppContext.BaseDirectory);
    }
}
