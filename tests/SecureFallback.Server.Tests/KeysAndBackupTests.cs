using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>Key rotation, backup and restore, and a start that refuses keys which do not fit the data.</summary>
public sealed class KeysAndBackupTests
{
    [Fact]
    [Trait("Database", "SqliteOnly")] // reads key files or the SQLite file itself
    public async Task KeysRotate_BesideARunningServer_RewrapsEveryDataKey_LeavesBodiesAlone_AndRetireThenDeletesV1()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var settings = new Dictionary<string, string> { ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route };
        await using (var server = await SecureFallbackInstance.StartAsync(settings, dataDirectory))
        {
            for (var i = 0; i < 3; i++)
            {
                await server.SendAsync("alice@sender.test", ["carol@plain.test"], $"held {i}", $"rotation body {i}");
            }

            await WaitUntilHeldAsync(server, 3);
            var before = await ContentsAsync(server);
            Assert.All(before, c => Assert.Equal(1, c.KeyVersion));

            var (exitCode, output) = await CliRunner.RunAsync(["keys", "rotate", $"--SecureFallback:DataDirectory={dataDirectory}"], "");

            Assert.True(exitCode == 0, output);
            Assert.Contains("Re-wrapped 3 message keys", output);
            var after = await ContentsAsync(server);
            Assert.All(after, c => Assert.Equal(2, c.KeyVersion));
            Assert.Equal(before.Select(c => (c.MessageId, Hash(c.Ciphertext))).Order(), after.Select(c => (c.MessageId, Hash(c.Ciphertext))).Order());
            Assert.All(before.Zip(after.OrderBy(a => before.FindIndex(b => b.MessageId == a.MessageId))), pair => Assert.NotEqual(pair.First.WrappedKey, pair.Second.WrappedKey));
            await AssertEveryHeldBodyOpensAsync(server, "rotation body");

            // The running server took up v2 for the next message without a restart.
            await server.SendAsync("alice@sender.test", ["carol@plain.test"], "after rotation", "rotation body 3");
            await WaitUntilHeldAsync(server, 4);
            Assert.All(await ContentsAsync(server), c => Assert.Equal(2, c.KeyVersion));
        }

        // As if the rotation was long enough ago that no instance may still seal with v1.
        File.SetLastWriteTimeUtc(Path.Combine(dataDirectory, "keys", "master-v2.key"), DateTime.UtcNow - Protection.MasterKeyRing.RetireGrace - TimeSpan.FromMinutes(1));
        var retire = await CliRunner.RunAsync(["keys", "retire", $"--SecureFallback:DataDirectory={dataDirectory}"], "");
        Assert.True(retire.ExitCode == 0, retire.Output);
        Assert.Contains("Retired v1", retire.Output);
        Assert.False(File.Exists(Path.Combine(dataDirectory, "keys", "master-v1.key")));

        await using var restarted = await SecureFallbackInstance.StartAsync(settings, dataDirectory);
        await AssertEveryHeldBodyOpensAsync(restarted, "rotation body");
    }

    [Fact]

    [Trait("Database", "SqliteOnly")] // reads key files or the SQLite file itself
    public async Task Backup_TakenWhileRunning_RestoresIntoAFreshDataDirectory_WithEveryHeldMessageReadable()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var settings = new Dictionary<string, string> { ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route };
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var backup = Path.Combine(SecureFallbackInstance.NewDataDirectory(), "backup");
        await using (var server = await SecureFallbackInstance.StartAsync(settings, dataDirectory))
        {
            await server.SendAsync("alice@sender.test", ["carol@plain.test"], "keep me", "backed-up body");
            await WaitUntilHeldAsync(server, 1);

            var (exitCode, output) = await CliRunner.RunAsync(["backup", backup, $"--SecureFallback:DataDirectory={dataDirectory}"], "");

            Assert.True(exitCode == 0, output);
        }

        // Restore as the README says: copy the backup's contents into an empty data directory and start.
        var restored = SecureFallbackInstance.NewDataDirectory();
        CopyTree(backup, restored);
        await using var again = await SecureFallbackInstance.StartAsync(settings, restored);
        await AssertEveryHeldBodyOpensAsync(again, "backed-up body");
        Assert.Contains(await again.RecipientsAsync(), r => r.Status == RecipientStatus.HeldForPickup);
    }

    [Fact]

    [Trait("Database", "SqliteOnly")] // reads key files or the SQLite file itself
    public async Task Start_WithTheKeyFilesMissing_StopsWithAClearMessage_AndCreatesNoNewKey()
    {
        var dataDirectory = await DataDirectoryWithAHeldMessageAsync();
        foreach (var key in Directory.EnumerateFiles(Path.Combine(dataDirectory, "keys")))
        {
            File.Delete(key);
        }

        using var process = ServerProcess.Start(SecureFallbackInstance.BaseArguments(dataDirectory));
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains("has no master key, but the database holds", process.Output);
        Assert.DoesNotContain("   at ", process.Output);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dataDirectory, "keys"))); // a second start says the same
    }

    [Fact]

    [Trait("Database", "SqliteOnly")] // reads key files or the SQLite file itself
    public async Task Start_WithAMasterKeyFromAnotherInstallation_StopsWithAClearMessage()
    {
        var dataDirectory = await DataDirectoryWithAHeldMessageAsync();
        var other = SecureFallbackInstance.NewDataDirectory();
        await (await SecureFallbackInstance.StartAsync(dataDirectory: other)).DisposeAsync();
        File.Copy(Path.Combine(other, "keys", "master-v1.key"), Path.Combine(dataDirectory, "keys", "master-v1.key"), overwrite: true);

        using var process = ServerProcess.Start(SecureFallbackInstance.BaseArguments(dataDirectory));
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains("does not open the stored messages sealed with version 1", process.Output);
        Assert.DoesNotContain("   at ", process.Output);
    }

    private static async Task<string> DataDirectoryWithAHeldMessageAsync()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        await using var server = await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string> { ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route }, dataDirectory);
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "held", "a held body");
        await WaitUntilHeldAsync(server, 1);
        return dataDirectory;
    }

    private static Task WaitUntilHeldAsync(SecureFallbackInstance server, int count) =>
        server.WaitForRecipientsAsync(r => r.Count(x => x.Status == RecipientStatus.HeldForPickup) >= count);

    private static async Task<List<MessageContent>> ContentsAsync(SecureFallbackInstance server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var held = await db.Recipients.Where(r => r.Status == RecipientStatus.HeldForPickup).Select(r => r.MessageId).ToListAsync();
        return await db.MessageContents.AsNoTracking().Where(c => held.Contains(c.MessageId)).OrderBy(c => c.MessageId).ToListAsync();
    }

    private static async Task AssertEveryHeldBodyOpensAsync(SecureFallbackInstance server, string marker)
    {
        var protector = server.Services.GetRequiredService<IContentProtector>();
        var contents = await ContentsAsync(server);
        Assert.NotEmpty(contents);
        Assert.All(contents, c => Assert.Contains(marker, Encoding.UTF8.GetString(protector.Open(c))));
    }

    private static string Hash(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    private static void CopyTree(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
