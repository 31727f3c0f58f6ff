using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>Purged content is gone from the files, and an old key version is retired only when nothing may use it.</summary>
public sealed class ShredTests
{
    [Fact]
    [Trait("Database", "SqliteOnly")] // reads the SQLite file and its WAL
    public async Task Purge_AfterDelivery_LeavesNeitherTheCiphertextNorTheWrappedKeyInTheDatabaseFileOrWal()
    {
        var receiverPort = TestPorts.Free(); // down at first, so the content can be read before it is purged
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:shred.test"] = $"127.0.0.1:{receiverPort}",
        });
        await server.SendAsync("alice@sender.test", ["bob@shred.test"], "to be shredded", string.Concat(Enumerable.Range(0, 1500).Select(_ => Guid.NewGuid().ToString())));
        MessageContent content;
        await using (var scope = server.Services.CreateAsyncScope())
        {
            content = await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().MessageContents.AsNoTracking().SingleAsync();
        }

        Assert.True(content.Ciphertext.Length > 40_000); // over many pages, overflow pages included
        var ciphertextSamples = Enumerable.Range(0, 8).Select(i => content.Ciphertext.AsSpan(i * 5_000, 64).ToArray()).ToList();
        await using var receiver = await TlsSmtpReceiver.StartAsync(port: receiverPort);
        await server.WaitForRecipientsAsync(r => r.Any(x => x.Address == "bob@shred.test" && x.Status == RecipientStatus.Delivered));

        List<string> found = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(250);
            found = [];
            foreach (var file in Directory.EnumerateFiles(server.DataDirectory, "securefallback.db*"))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                found.AddRange(ciphertextSamples.Prepend(content.WrappedKey).Where(needle => bytes.AsSpan().IndexOf(needle) >= 0).Select(_ => Path.GetFileName(file)));
            }
        }
        while (found.Count > 0 && DateTime.UtcNow < deadline);

        Assert.True(found.Count == 0, $"purged bytes still in: {string.Join(", ", found.Distinct())}");
    }

    [Fact]
    [Trait("Database", "SqliteOnly")] // reads key files
    public async Task KeysRetire_OfAVersionRotatedAwayJustNow_IsRefused_BecauseAnotherInstanceMayStillSealWithIt()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var setting = $"--SecureFallback:DataDirectory={dataDirectory}";
        for (var i = 0; i < 2; i++) // the first makes v1 in the empty ring, the second rotates it away
        {
            var rotate = await CliRunner.RunAsync(["keys", "rotate", setting], "");
            Assert.True(rotate.ExitCode == 0, rotate.Output);
        }

        Assert.True(File.Exists(Path.Combine(dataDirectory, "keys", "master-v2.key")));

        var (exitCode, output) = await CliRunner.RunAsync(["keys", "retire", setting], "");

        Assert.True(exitCode == 0, output);
        Assert.Contains("v1 stopped being current", output);
        Assert.DoesNotContain("Retired v1", output);
        Assert.True(File.Exists(Path.Combine(dataDirectory, "keys", "master-v1.key")));
    }
}
