using System.Security.Cryptography;

namespace SecureFallback.Protection;

/// <summary>
/// Versioned master keys, each 32 random bytes kept sealed (as the configured <see cref="MasterKeySealing"/> says)
/// in a <see cref="KeyRingStore"/>. The highest version wraps new data keys; older versions stay to unwrap what
/// they wrapped.
/// </summary>
public sealed class MasterKeyRing
{
    public const int KeySize = 32;

    private readonly KeyRingStore _store;
    private readonly MasterKeySealing _sealing;
    private readonly Lock _refreshLock = new();
    private volatile Snapshot? _loaded;

    private sealed record Snapshot(IReadOnlyDictionary<int, byte[]> Keys, int CurrentVersion);

    private MasterKeyRing(KeyRingStore store, MasterKeySealing sealing)
    {
        _store = store;
        _sealing = sealing;
    }

    /// <summary>
    /// The keys as last read; read on first use, not at construction, because a ring in the database can only be
    /// read once the schema is migrated (and the container builds the ring earlier).
    /// </summary>
    private Snapshot Current
    {
        get
        {
            if (_loaded is null)
            {
                Refresh();
            }

            return _loaded!;
        }
    }

    /// <summary>The version that wraps new data keys; 0 while the ring is empty.</summary>
    public int CurrentVersion => Current.CurrentVersion;

    /// <summary>Every version in the ring, oldest first.</summary>
    public IReadOnlyList<int> Versions => [.. Current.Keys.Keys.Order()];

    /// <summary>Where the keys live (a folder, or the database), for messages to the admin.</summary>
    public string Location => _store.Location;

    /// <summary>What to restore when <paramref name="version"/> is missing.</summary>
    public string NameOf(int version) => _store.NameOf(version);

    /// <summary>The current version and its key, read together from one snapshot.</summary>
    internal (int Version, byte[] Key) GetCurrent()
    {
        // A `keys rotate` run beside this process adds the next version: take it up for new messages at once.
        var snapshot = Current;
        if (_store.MayHave(snapshot.CurrentVersion + 1))
        {
            Refresh();
            snapshot = Current;
        }

        return snapshot.CurrentVersion == 0
            ? throw new KeyRingUnavailableException($"The key ring in {_store.Location} has no master key yet.")
            : (snapshot.CurrentVersion, snapshot.Keys[snapshot.CurrentVersion]);
    }

    internal bool TryGetKey(int version, out byte[] key)
    {
        if (Current.Keys.TryGetValue(version, out key!))
        {
            return true;
        }

        Refresh(); // re-wrapped by `keys rotate` under a version this process has not loaded yet
        return Current.Keys.TryGetValue(version, out key!);
    }

    /// <summary>Loads the ring from files in <paramref name="directory"/>, creating version 1 when it holds no key.</summary>
    /// <exception cref="KeyRingUnavailableException">A key file is unreadable or has the wrong size.</exception>
    public static MasterKeyRing LoadOrCreate(string directory, MasterKeySealing? sealing = null)
    {
        var ring = Open(new FileKeyRingStore(directory), sealing);
        if (ring.CurrentVersion == 0)
        {
            ring.CreateFirstKey();
        }

        return ring;
    }

    /// <summary>
    /// Loads the ring without creating anything: an empty ring is for the caller to judge (a first start, or keys
    /// lost while the database still holds sealed mail).
    /// </summary>
    /// <exception cref="KeyRingUnavailableException">A stored key cannot be opened or has the wrong size.</exception>
    public static MasterKeyRing Open(KeyRingStore store, MasterKeySealing? sealing = null) =>
        new(store, sealing ?? new PlainKeySealing());

    /// <summary>Creates version 1 in an empty ring (another instance creating it at the same time is fine).</summary>
    public void CreateFirstKey()
    {
        lock (_refreshLock)
        {
            if (Current.CurrentVersion == 0)
            {
                _store.TryAdd(1, _sealing.Seal(RandomNumberGenerator.GetBytes(KeySize)));
            }
        }

        Refresh();
    }

    /// <summary>Adds a new current version to the ring in <paramref name="directory"/> and returns the reloaded ring.</summary>
    public static MasterKeyRing AddVersion(string directory, MasterKeySealing? sealing = null)
    {
        var ring = LoadOrCreate(directory, sealing);
        ring.AddNextVersion();
        return ring;
    }

    /// <summary>Stores the next version, which becomes current here and (on its next seal) in a running server.</summary>
    /// <returns>The new current version.</returns>
    public int AddNextVersion()
    {
        lock (_refreshLock)
        {
            var version = Current.CurrentVersion + 1;
            while (!_store.TryAdd(version, _sealing.Seal(RandomNumberGenerator.GetBytes(KeySize))))
            {
                version++; // added by another process meanwhile: ours goes after it
            }
        }

        Refresh();
        return CurrentVersion;
    }

    /// <summary>
    /// How long after a version stopped being current it may still seal new data keys somewhere: another process's
    /// stale view of the ring (<see cref="KeyRingStore.NewVersionPollLimit"/>) plus a margin for a seal in flight.
    /// </summary>
    public static readonly TimeSpan RetireGrace = KeyRingStore.NewVersionPollLimit + TimeSpan.FromSeconds(30);

    /// <summary>When <paramref name="version"/> stopped being current (a newer one was added); null while it is current.</summary>
    public DateTimeOffset? SupersededAt(int version) =>
        Versions.Where(v => v > version).Select(_store.AddedAt).Where(at => at is not null).Min();

    /// <summary>Deletes an old <paramref name="version"/>; the current version cannot be retired.</summary>
    public void Retire(int version)
    {
        if (version >= CurrentVersion)
        {
            throw new InvalidOperationException($"Master key version {version} is current and cannot be retired.");
        }

        _store.Delete(version);
        Refresh();
    }

    /// <summary>Re-reads the store, so versions added or retired by another process are seen.</summary>
    public void Refresh()
    {
        lock (_refreshLock)
        {
            _loaded = ReadSnapshot();
        }
    }

    private Snapshot ReadSnapshot()
    {
        var keys = new Dictionary<int, byte[]>();
        foreach (var (version, stored) in _store.ReadAll())
        {
            var (key, reseal) = _sealing.Open(stored, _store.NameOf(version));
            if (reseal)
            {
                _store.Replace(version, _sealing.Seal(key));
            }

            keys[version] = key;
        }

        return new Snapshot(keys, keys.Count == 0 ? 0 : keys.Keys.Max());
    }
}

/// <summary>The master key ring cannot be used; queued mail would be unreadable, so the server must not start.</summary>
public sealed class KeyRingUnavailableException(string message) : Exception(message);
