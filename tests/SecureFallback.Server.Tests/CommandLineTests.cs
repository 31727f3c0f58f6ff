using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>What the executable does with its command line: a mistyped verb never starts a server.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("frobnicate", "frobnicate")]
    [InlineData("user add x", "user")]
    [InlineData("run stray", "stray")]
    public async Task UnknownVerbOrStrayArgument_PrintsTheUsageAndExits2_WithoutOpeningAPort(string commandLine, string named)
    {
        var words = commandLine.Split(' ');
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var intakePort = TestPorts.Free();
        using var process = ServerProcess.Start([.. words, .. SecureFallbackInstance.BaseArguments(dataDirectory), $"--SecureFallback:Intake:Port={intakePort}"]);

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        Assert.Contains("Usage:", process.Output);
        Assert.Contains($"'{named}'", process.Output);
        Assert.False(await AcceptsAsync(intakePort));
        Assert.False(File.Exists(Path.Combine(dataDirectory, "securefallback.db")));
    }

    [Fact]
    public async Task Run_WithSettingsInBothForms_StartsTheServer()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var intakePort = TestPorts.Free();
        using var process = ServerProcess.Start(["run", .. SecureFallbackInstance.BaseArguments(dataDirectory), "--SecureFallback:Intake:Port", intakePort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        await process.WaitForIntakeAsync(intakePort);

        Assert.False(process.HasExited);
    }

    [Fact]
    [Trait("Database", "SqliteOnly")] // the lock guards the SQLite data directory
    public async Task SecondServer_OnTheSameSqliteDataDirectory_RefusesToStart_WhileTheFirstKeepsRunning()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var firstPort = TestPorts.Free();
        var secondPort = TestPorts.Free();
        using var first = ServerProcess.Start([.. SecureFallbackInstance.BaseArguments(dataDirectory), $"--SecureFallback:Intake:Port={firstPort}"]);
        await first.WaitForIntakeAsync(firstPort);

        using var second = ServerProcess.Start([.. SecureFallbackInstance.BaseArguments(dataDirectory), $"--SecureFallback:Intake:Port={secondPort}"]);
        var exitCode = await second.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("another SecureFallback server is already running on the data directory", second.Output);
        Assert.DoesNotContain("   at ", second.Output);
        Assert.False(await AcceptsAsync(secondPort));
        Assert.False(first.HasExited);
        Assert.True(await AcceptsAsync(firstPort));

        // Verbs that are safe beside a running server still work.
        var (listExit, list) = await CliRunner.RunAsync(["keys", "list", .. SecureFallbackInstance.BaseArguments(dataDirectory)], "");
        Assert.Equal(0, listExit);
        Assert.Contains("v1", list);
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
