namespace SecureFallback.Protection.Tests;

/// <summary>A key file appears whole or not at all: another process reading the ring never sees it empty or partial.</summary>
public sealed class SecretFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sf-secret-").FullName;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Write_AppearsUnderItsNameOnlyWhole_ByARenameOrALink(bool replace)
    {
        var path = Path.Combine(_directory, "master-v1.key");
        if (replace)
        {
            await File.WriteAllBytesAsync(path, [1, 2, 3]);
        }

        var contents = new byte[1 << 20];
        Random.Shared.NextBytes(contents);
        var events = new List<string>();
        using var watcher = new FileSystemWatcher(_directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.LastWrite };
        var renamedToTarget = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        FileSystemEventHandler record = (_, e) =>
        {
            lock (events)
            {
                events.Add($"{e.ChangeType} {e.Name}");
            }

            if (!replace && e.ChangeType == WatcherChangeTypes.Created && e.Name == "master-v1.key")
            {
                renamedToTarget.TrySetResult(); // a new name is made by link(2) to the finished file
            }
        };
        watcher.Created += record;
        watcher.Changed += record;
        watcher.Renamed += (_, e) =>
        {
            lock (events)
            {
                events.Add($"Renamed {e.OldName} -> {e.Name}");
            }

            if (e.Name == "master-v1.key")
            {
                renamedToTarget.TrySetResult();
            }
        };
        watcher.EnableRaisingEvents = true;

        SecretFile.Write(path, contents, replace);

        await renamedToTarget.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(contents, await File.ReadAllBytesAsync(path));
        lock (events)
        {
            // The target name is never written in place: it appears by a rename (replace) or a link to the finished
            // file (a new name: link fails if the name exists, where .NET's Move checks, then renames).
            Assert.DoesNotContain(events, e => e is "Changed master-v1.key" || (replace && e == "Created master-v1.key"));
        }

        Assert.Equal(["master-v1.key"], Directory.GetFiles(_directory).Select(Path.GetFileName));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task Write_WithoutReplace_FromManyWritersAtOnce_LetsExactlyOneWin_AndKeepsTheWinnersContent()
    {
        // Two instances sharing a key folder create kek.key together at a first start: a loser that replaced the
        // winner's file would leave the ring sealed under a key no longer on disk.
        for (var round = 0; round < 40; round++)
        {
            var path = Path.Combine(_directory, $"kek-{round}.key");
            using var start = new Barrier(8);
            var winners = new System.Collections.Concurrent.ConcurrentBag<byte>();
            var writers = Enumerable.Range(1, 8).Select(writer => Task.Run(() =>
            {
                start.SignalAndWait();
                try
                {
                    SecretFile.Write(path, [(byte)writer], replace: false);
                    winners.Add((byte)writer);
                }
                catch (IOException)
                {
                }
            })).ToArray();
            await Task.WhenAll(writers);

            var winner = Assert.Single(winners);
            Assert.Equal([winner], await File.ReadAllBytesAsync(path));
        }
    }

    [Fact]
    public void Write_WithoutReplace_RefusesAnExistingFile_AndLeavesItAsItWas()
    {
        var path = Path.Combine(_directory, "master-v1.key");
        File.WriteAllBytes(path, [1, 2, 3]);

        Assert.ThrowsAny<IOException>(() => SecretFile.Write(path, [4, 5, 6], replace: false));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["master-v1.key"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Delete_OfARetiredVersion_AlsoRemovesATemporaryCopyACrashLeftBehind()
    {
        var store = new FileKeyRingStore(_directory);
        store.TryAdd(1, [1, 2, 3]);
        store.TryAdd(2, [4, 5, 6]);
        File.WriteAllBytes(Path.Combine(_directory, $"master-v1.key.{Guid.NewGuid():N}.tmp"), [1, 2, 3]); // killed before its rename

        store.Delete(1);

        Assert.Equal(["master-v2.key"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
