using System.Diagnostics;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// A PostgreSQL cluster of one test's own (its own port and folder, through <c>scripts/test-postgres.sh</c>), for
/// tests that stop and restart PostgreSQL: the shared cluster on 15432 that other tests use is never touched.
/// As root, PostgreSQL runs as the postgres user, as the script does it.
/// </summary>
internal sealed class PrivatePostgres : IDisposable
{
    private readonly string _bin;
    private readonly Dictionary<string, string> _environment;

    private PrivatePostgres(int port, string directory, string connectionString)
    {
        (Port, Directory, ConnectionString) = (port, directory, connectionString);
        _bin = System.IO.Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .OrderBy(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var major) ? major : 0).Last();
        _environment = new() { ["SECUREFALLBACK_TEST_PG_PORT"] = $"{port}", ["SECUREFALLBACK_TEST_PG_DIR"] = directory };
    }

    public int Port { get; }

    public string Directory { get; }

    /// <summary>Host, port and user; add <c>;Database=name</c>.</summary>
    public string ConnectionString { get; }

    public static PrivatePostgres Start()
    {
        var port = TestPorts.Free();
        var directory = Path.Combine(Path.GetTempPath(), "securefallback-pg-" + Guid.NewGuid().ToString("N")[..12]);
        var environment = new Dictionary<string, string> { ["SECUREFALLBACK_TEST_PG_PORT"] = $"{port}", ["SECUREFALLBACK_TEST_PG_DIR"] = directory };
        var output = Run(Path.Combine(TestDatabase.RepositoryRoot(), "scripts", "test-postgres.sh"), [], environment);
        return new PrivatePostgres(port, directory, output.Trim());
    }

    /// <summary>Stops the cluster at once (fast: open sessions are cut off, as in a restart or fail-over).</summary>
    public void Stop() => Run(AsOwner(Path.Combine(_bin, "pg_ctl")), [.. AsOwnerArguments(Path.Combine(_bin, "pg_ctl")), "-D", Directory, "-m", "fast", "-w", "stop"], _environment);

    /// <summary>Starts the stopped cluster again, with its data.</summary>
    public void Restart() => Run(
        AsOwner(Path.Combine(_bin, "pg_ctl")),
        [.. AsOwnerArguments(Path.Combine(_bin, "pg_ctl")), "-D", Directory, "-l", Path.Combine(Directory, "server.log"), "-w", "-t", "60", "start"],
        _environment);

    public void Dispose() => Run(Path.Combine(TestDatabase.RepositoryRoot(), "scripts", "test-postgres.sh"), ["stop"], _environment);

    private static bool IsRoot => Environment.UserName == "root";

    private static string AsOwner(string program) => IsRoot ? "runuser" : program;

    private static string[] AsOwnerArguments(string program) => IsRoot ? ["-u", "postgres", "--", program] : [];

    private static string Run(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
    }
}
