using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Data;
using SecureFallback.Protection;

namespace SecureFallback.Server.Keys;

/// <summary>
/// Runs before anything else starts: the master key ring must open what the database and the Data Protection
/// key files hold. A missing or wrong key stops the start with a clear message, instead of a server that accepts
/// mail and then cannot show a single held message. An empty ring with nothing sealed is a first start: the
/// first key is created here.
/// </summary>
internal sealed class KeyRingStartupCheck(IServiceScopeFactory scopeFactory, IServiceProvider services) : IHostedService
{
    private const int SamplesPerVersion = 3;
    private bool _passed;

    /// <summary>Called by <see cref="ServerHost.RunAsync"/> before the host starts, so a failure is one clear message.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => _passed ? Task.CompletedTask : CheckAsync(cancellationToken);

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await CheckCoreAsync(cancellationToken);
        _passed = true;
    }

    private async Task CheckCoreAsync(CancellationToken cancellationToken)
    {
        await services.EnsureMigratedAsync(cancellationToken);
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();

        // Opened only now: with PostgreSQL the ring itself is in the database just migrated.
        var ring = services.GetRequiredService<MasterKeyRing>();
        var protector = services.GetRequiredService<ChunkedAesGcmProtector>();
        var inDatabase = await SealedContentInventory.CountByVersionAsync(db, cancellationToken);
        var inKeyFiles = await SealedPortalKeys.For(db, services).VersionsAsync(cancellationToken);
        if (ring.CurrentVersion == 0)
        {
            if (inDatabase.Count == 0 && inKeyFiles.Count == 0)
            {
                ring.CreateFirstKey();
                return;
            }

            throw new KeyRingUnavailableException(
                $"{ring.Location} has no master key, but the database holds {inDatabase.Values.Sum()} sealed messages " +
                $"(and {inKeyFiles.Values.Sum()} sealed portal keys). Restore the master-v*.key files from the backup taken " +
                "with the database; a new key would leave every held message unreadable.");
        }

        foreach (var (version, count) in inDatabase.OrderBy(v => v.Key))
        {
            if (!ring.Versions.Contains(version))
            {
                throw new KeyRingUnavailableException(
                        $"{count} stored messages are sealed with master key version {version}, which is missing from {ring.Location} " +
                    $"(it has {string.Join(", ", ring.Versions.Select(v => "v" + v))}). Restore {ring.NameOf(version)} from a backup.");
            }

            var samples = await SealedContentInventory.SamplesAsync(db, version, SamplesPerVersion, cancellationToken);
            if (!samples.Any(s => protector.CanUnwrap(s.MessageId, s.KeyVersion, s.Key)))
            {
                throw new KeyRingUnavailableException(
                    $"{ring.NameOf(version)} does not open the stored messages sealed with version {version}: " +
                    "it is not the key they were sealed with (key files from another installation, or a different certificate?).");
            }
        }

        foreach (var version in inKeyFiles.Keys.Where(v => !ring.Versions.Contains(v)))
        {
            throw new KeyRingUnavailableException(
                $"The portal's Data Protection keys need master key version {version}, which is missing from {ring.Location}. Restore {ring.NameOf(version)} from a backup.");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
