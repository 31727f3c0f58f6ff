using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Data.Writes;
using SecureFallback.Protection;
using SecureFallback.Server.Keys;

namespace SecureFallback.Server.Cli;

/// <summary>
/// <c>securefallback keys list|rotate|retire</c>. Rotation adds a master key version and re-wraps every data key
/// (60 bytes per message, and the portal's key files) under it; message bodies are not read or rewritten.
/// Retiring deletes old versions that nothing uses any more. Safe beside a running server: it picks up the new
/// version for its next message and re-reads the ring when it meets a version it has not loaded.
/// </summary>
internal static class KeysCommand
{
    private const int BatchSize = 500;

    public static async Task<int> RunAsync(string verb, string[] settings)
    {
        using var host = CliHost.Build(settings, services => services.AddSecureFallbackProtection());
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        await db.MigrateToCurrentAsync();
        var ring = host.Services.GetRequiredService<MasterKeyRing>();
        var protector = host.Services.GetRequiredService<ChunkedAesGcmProtector>();
        var portalKeys = SealedPortalKeys.For(db, host.Services);

        switch (verb)
        {
            case "list":
                await PrintAsync(db, ring, portalKeys);
                return 0;
            case "rotate":
                return await RotateAsync(db, ring, protector, portalKeys);
            case "retire":
                return await RetireAsync(db, ring, portalKeys, host.Services.GetRequiredService<TimeProvider>().GetUtcNow());
            default:
                Console.Error.WriteLine("Usage: securefallback keys list|rotate|retire");
                return 64;
        }
    }

    private static async Task PrintAsync(SecureFallbackDbContext db, MasterKeyRing ring, SealedPortalKeys portalKeys)
    {
        var messages = await SealedContentInventory.CountByVersionAsync(db, CancellationToken.None);
        var files = await portalKeys.VersionsAsync(CancellationToken.None);
        Console.WriteLine($"Key ring: {ring.Location}");
        foreach (var version in ring.Versions.Union(messages.Keys).Union(files.Keys).Order())
        {
            var state = !ring.Versions.Contains(version) ? "MISSING" : version == ring.CurrentVersion ? "current" : "old";
            Console.WriteLine($"  v{version}\t{state}\t{messages.GetValueOrDefault(version)} messages\t{files.GetValueOrDefault(version)} portal keys");
        }
    }

    private static async Task<int> RotateAsync(SecureFallbackDbContext db, MasterKeyRing ring, ChunkedAesGcmProtector protector, SealedPortalKeys portalKeys)
    {
        var version = ring.AddNextVersion();
        Console.WriteLine($"Added master key v{version} in {ring.Location}.");

        var rewrapped = 0;
        var damaged = new List<Guid>();
        while (true)
        {
            var batch = await db.MessageContents.AsNoTracking()
                .Where(c => c.KeyVersion != version && !damaged.Contains(c.MessageId))
                .Select(c => new SealedContentInventory.WrappedKey(c.MessageId, c.KeyVersion, c.WrappedKey))
                .Take(BatchSize)
                .ToListAsync();
            if (batch.Count == 0)
            {
                break;
            }

            await using var transaction = await db.BeginWriteAsync(WriteDurability.Full, CancellationToken.None);
            foreach (var content in batch)
            {
                try
                {
                    var (newVersion, newKey) = protector.Rewrap(content.MessageId, content.KeyVersion, content.Key)!.Value;
                    // Only if nobody changed the row meanwhile (expiry shreds keys by deleting the row).
                    rewrapped += await db.MessageContents
                        .Where(c => c.MessageId == content.MessageId && c.KeyVersion == content.KeyVersion)
                        .ExecuteUpdateAsync(s => s.SetProperty(c => c.KeyVersion, newVersion).SetProperty(c => c.WrappedKey, newKey));
                }
                catch (ContentTamperedException)
                {
                    damaged.Add(content.MessageId);
                    Console.Error.WriteLine($"Message {content.MessageId:N}: its data key does not open with v{content.KeyVersion}; left as it is.");
                }
            }

            await transaction.CommitAsync();
        }

        var files = await portalKeys.RewrapAsync(protector, CancellationToken.None);
        Console.WriteLine($"Re-wrapped {rewrapped} message keys and {files} portal keys under v{version}; bodies untouched.");
        await PrintAsync(db, ring, portalKeys);
        if (damaged.Count > 0)
        {
            Console.Error.WriteLine($"{damaged.Count} message keys could not be re-wrapped (damaged); the old versions they need stay.");
            return 1;
        }

        Console.WriteLine("Old versions are kept until `securefallback keys retire` (after your next backup).");
        return 0;
    }

    private static async Task<int> RetireAsync(SecureFallbackDbContext db, MasterKeyRing ring, SealedPortalKeys portalKeys, DateTimeOffset now)
    {
        Console.WriteLine($"v{ring.CurrentVersion} is current and is never retired.");
        var messages = await SealedContentInventory.CountByVersionAsync(db, CancellationToken.None);
        var files = await portalKeys.VersionsAsync(CancellationToken.None);
        var retired = 0;
        foreach (var version in ring.Versions.Where(v => v < ring.CurrentVersion))
        {
            // A running instance may still seal with a version for a while after it stopped being current (its view
            // of the ring is cached): deleting it then would make that message unreadable.
            var superseded = ring.SupersededAt(version);
            if (superseded is null || now - superseded < MasterKeyRing.RetireGrace)
            {
                var after = (superseded ?? now) + MasterKeyRing.RetireGrace;
                Console.WriteLine($"v{version} stopped being current less than {MasterKeyRing.RetireGrace.TotalSeconds:0} s ago; a running "
                    + $"instance may still seal with it: kept. Run `keys retire` again after {after:u}.");
                continue;
            }

            var users = messages.GetValueOrDefault(version) + files.GetValueOrDefault(version);
            if (users > 0)
            {
                Console.WriteLine($"v{version} is still used by {users} sealed items; kept (run `keys rotate` first).");
                continue;
            }

            ring.Retire(version);
            Console.WriteLine($"Retired v{version}: {ring.NameOf(version)} is deleted.");
            retired++;
        }

        if (retired == 0)
        {
            Console.WriteLine("Nothing to retire.");
        }

        return 0;
    }
}
