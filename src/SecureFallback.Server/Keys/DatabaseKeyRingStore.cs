using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Data;
using SecureFallback.Protection;

namespace SecureFallback.Server.Keys;

/// <summary>
/// The master key ring in the shared database (<c>MasterKeys</c>), for instances on PostgreSQL: a key added by
/// <c>keys rotate</c> on one machine is seen by all. Rows hold sealed keys only (see <see cref="KeyEncryptionKeySealing"/>).
/// </summary>
internal sealed class DatabaseKeyRingStore(IServiceScopeFactory scopeFactory, TimeProvider timeProvider) : KeyRingStore
{
    /// <summary>How stale the "is there a newer version?" answer may be: a rotation reaches every instance within this.</summary>
    private static readonly TimeSpan NewVersionPoll = NewVersionPollLimit;
    private readonly Lock _pollLock = new();
    private (int Version, bool Exists, DateTimeOffset At)? _lastPoll;

    public override string Location => "the database (table MasterKeys)";

    public override string NameOf(int version) => $"master key v{version} (database table MasterKeys)";

    public override IReadOnlyDictionary<int, byte[]> ReadAll() =>
        Use(db => db.MasterKeys.AsNoTracking().ToDictionary(k => k.Version, k => k.Sealed));

    /// <remarks>
    /// Instances started together on a new database each try to create version 1: the loser's insert does nothing
    /// (no failed statement in the log) and the caller re-reads the winner's key.
    /// </remarks>
    public override bool TryAdd(int version, byte[] sealedKey) => Use(db => db.Database.ExecuteSql($"""
        INSERT INTO "MasterKeys" ("Version", "CreatedAt", "Sealed") VALUES ({version}, {timeProvider.GetUtcNow().UtcTicks}, {sealedKey})
        ON CONFLICT ("Version") DO NOTHING
        """) == 1);

    public override void Replace(int version, byte[] sealedKey) =>
        Use(db => db.MasterKeys.Where(k => k.Version == version).ExecuteUpdate(s => s.SetProperty(k => k.Sealed, sealedKey)));

    public override void Delete(int version) => Use(db => db.MasterKeys.Where(k => k.Version == version).ExecuteDelete());

    public override DateTimeOffset? AddedAt(int version) =>
        Use(db => db.MasterKeys.Where(k => k.Version == version).Select(k => (DateTimeOffset?)k.CreatedAt).SingleOrDefault());

    public override bool MayHave(int version)
    {
        var now = timeProvider.GetUtcNow();
        lock (_pollLock)
        {
            if (_lastPoll is { } poll && poll.Version == version && now - poll.At < NewVersionPoll)
            {
                return poll.Exists;
            }
        }

        var exists = Use(db => db.MasterKeys.Any(k => k.Version == version));
        lock (_pollLock)
        {
            _lastPoll = (version, exists, now);
        }

        return exists;
    }

    private T Use<T>(Func<SecureFallbackDbContext, T> work)
    {
        using var scope = scopeFactory.CreateScope();
        return work(scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>());
    }
}

internal static class KeyRingStoreRegistration
{
    /// <summary>With PostgreSQL the ring is shared through the database; with SQLite it stays in files.</summary>
    public static IServiceCollection AddKeyRingStore(this IServiceCollection services)
    {
        services.AddSingleton<KeyRingStore>(sp => sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.IsPostgres
            ? new DatabaseKeyRingStore(sp.GetRequiredService<IServiceScopeFactory>(), sp.GetRequiredService<TimeProvider>())
            : new FileKeyRingStore(ProtectionServiceCollectionExtensions.KeyDirectory(sp)));
        return services;
    }
}
