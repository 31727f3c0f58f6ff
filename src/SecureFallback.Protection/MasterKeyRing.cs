using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace SecureFallback.Protection;

/// <summary>
/// Versioned master keys, one file per version (<c>master-v{n}.key</c>, mode 0600), each 32 random bytes kept as the
/// configured <see cref="MasterKeyStorage"/> says. The highest version wraps new data keys; older versions stay to
/// unwrap what they wrapped.
/// </summary>
public sealed partial class MasterKeyRing
{
    public const int KeySize = 32;

    private readonly string _directory;
    private readonly MasterKeyStorage _storage;
    private readonly Lock _refreshLock = new();
    private volatile Snapshot _snapshot;

    private sealed record Snapshot(IReadOnlyDictionary<int, byte[]> Keys, int CurrentVersion);

    private MasterKeyRing(string directory, MasterKeyStorage storage, Dictionary<int, byte[]> keys)
    {
        _directory = directory;
        _storage = storage;
        _snapshot = new Snapshot(keys, keys.Count == 0 ? 0 : keys.Keys.Max());
    }

    /// <summary>The version that wraps new data keys; 0 while the ring is empty.</summary>
    public int CurrentVersion => _snapshot.CurrentVersion;

    /// <summary>Every version in the ring, oldest first.</summary>
    public IReadOnlyList<int> Versions => [.. _snapshot.Keys.Keys.Order()];

    /// <summary>Where the key files live.</summary>
    public string Directory => _directory;

    /// <summary>The current version and its key, read together from one snapshot.</summary>
    internal (int Version, byte[] Key) GetCurrent()
    {
        // A `keys rotate` run beside this process adds the next version: take it up for new messages at once.
        var snapshot = _snapshot;
        if (File.Exists(KeyPath(_directory, snapshot.CurrentVersion + 1)))
        {
            Refresh();
            snapshot = _snapshot;
        }

        return snapshot.CurrentVersion == 0
            ? throw new KeyRingUnavailableException($"The key ring in {_directory} has no master key yet.")
            : (snapshot.CurrentVersion, snapshot.Keys[snapshot.CurrentVersion]);
    }

    internal bool TryGetKey(int version, out byte[] key)
    {
        if (_snapshot.Keys.TryGetValue(version, out key!))
        {
            return true;
        }

        Refresh(); // re-wrapped by `keys rotate` under a version this process has not loaded yet
        return _snapshot.Keys.TryGetValue(version, out key!);
    }

    /// <summary>Loads the ring from <paramref name="directory"/>, creating version 1 when the folder holds no key.</summary>
    /// <exception cref="KeyRingUnavailableException">A key file is unreadable or has the wrong size.</exception>
    public static MasterKeyRing LoadOrCreate(string directory, MasterKeyStorage? storage = null)
    {
        var ring = Open(directory, storage);
        if (ring.CurrentVersion == 0)
        {
            ring.CreateFirstKey();
        }

        return ring;
    }

    /// <summary>
    /// Loads the ring from <paramref name="directory"/> without creating anything: an empty ring is for the caller
    /// to judge (a first start, or key files lost while the database still holds sealed mail).
    /// </summary>
    /// <exception cref="KeyRingUnavailableException">A key file is unreadable or has the wrong size.</exception>
    public static MasterKeyRing Open(string directory, MasterKeyStorage? storage = null)
    {
        storage ??= new PlainFileKeyStorage();
        System.IO.Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new MasterKeyRing(directory, storage, ReadKeys(directory, storage));
    }

    /// <summary>Creates version 1 in an empty ring.</summary>
    public void CreateFirstKey()
    {
        lock (_refreshLock)
        {
            if (_snapshot.CurrentVersion == 0)
            {
                WriteNewKey(_directory, 1, _storage);
            }
        }

        Refresh();
    }

    /// <summary>Adds a new current version to the ring on disk and returns the reloaded ring.</summary>
    public static MasterKeyRing AddVersion(string directory, MasterKeyStorage? storage = null)
    {
        var ring = LoadOrCreate(directory, storage);
        ring.AddNextVersion();
        return ring;
    }

    /// <summary>Writes the next version, which becomes current here and (on its next seal) in a running server.</summary>
    /// <returns>The new current version.</returns>
    public int AddNextVersion()
    {
        lock (_refreshLock)
        {
            WriteNewKey(_directory, _snapshot.CurrentVersion + 1, _storage);
        }

        Refresh();
        return CurrentVersion;
    }

    /// <summary>Deletes the key file of an old <paramref name="version"/>; the current version cannot be retired.</summary>
    public void Retire(int version)
    {
        if (version >= CurrentVersion)
        {
            throw new InvalidOperationException($"Master key version {version} is current and cannot be retired.");
        }

        File.Delete(KeyPath(_directory, version));
        Refresh();
    }

    /// <summary>Re-reads the key files, so versions added or retired by another process are seen.</summary>
    public void Refresh()
    {
        lock (_refreshLock)
        {
            var keys = ReadKeys(_directory, _storage);
            _snapshot = new Snapshot(keys, keys.Count == 0 ? 0 : keys.Keys.Max());
        }
    }

    private static string KeyPath(string directory, int version) => Path.Combine(directory, $"master-v{version}.key");

    private static Dictionary<int, byte[]> ReadKeys(string directory, MasterKeyStorage storage)
    {
        var keys = new Dictionary<int, byte[]>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "master-v*.key"))
        {
            var match = KeyFileName().Match(Path.GetFileName(path));
            if (!match.Success)
            {
                continue;
            }

            var (key, reseal) = storage.Open(File.ReadAllBytes(path), path);
            if (reseal)
            {
                WriteKeyFile(path, storage.Seal(key), replace: true);
            }

            keys[int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)] = key;
        }

        return keys;
    }

    private static byte[] WriteNewKey(string directory, int version, MasterKeyStorage storage)
    {
        var key = RandomNumberGenerator.GetBytes(KeySize);
        WriteKeyFile(KeyPath(directory, version), storage.Seal(key), replace: false);
        return key;
    }

    /// <summary>Writes a key file durably; a replacement goes through a temporary file and a rename, never half-written.</summary>
    private static void WriteKeyFile(string path, byte[] contents, bool replace)
    {
        var target = replace ? path + ".tmp" : path;
        var options = new FileStreamOptions { Mode = replace ? FileMode.Create : FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(target, options))
        {
            stream.Write(contents);
            stream.Flush(flushToDisk: true);
        }

        if (replace)
        {
            File.Move(target, path, overwrite: true);
        }
    }

    [GeneratedRegex(@"^master-v(\d+)\.key$")]
    private static partial Regex KeyFileName();
}

/// <summary>The master key ring cannot be used; queued mail would be unreadable, so the server must not start.</summary>
public sealed class KeyRingUnavailableException(string message) : Exception(message);
