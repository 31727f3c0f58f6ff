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

    private readonly Dictionary<int, byte[]> _keys;

    private MasterKeyRing(Dictionary<int, byte[]> keys)
    {
        _keys = keys;
        CurrentVersion = keys.Keys.Max();
    }

    public int CurrentVersion { get; }

    internal byte[] CurrentKey => _keys[CurrentVersion];

    internal bool TryGetKey(int version, out byte[] key) => _keys.TryGetValue(version, out key!);

    /// <summary>Loads the ring from <paramref name="directory"/>, creating version 1 when the folder holds no key.</summary>
    /// <exception cref="KeyRingUnavailableException">A key file is unreadable or has the wrong size.</exception>
    public static MasterKeyRing LoadOrCreate(string directory, MasterKeyStorage? storage = null)
    {
        storage ??= new PlainFileKeyStorage();
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var keys = ReadKeys(directory, storage);
        if (keys.Count == 0)
        {
            keys[1] = WriteNewKey(directory, 1, storage);
        }

        return new MasterKeyRing(keys);
    }

    /// <summary>Adds a new current version to the ring on disk and returns the reloaded ring.</summary>
    public static MasterKeyRing AddVersion(string directory, MasterKeyStorage? storage = null)
    {
        storage ??= new PlainFileKeyStorage();
        var ring = LoadOrCreate(directory, storage);
        WriteNewKey(directory, ring.CurrentVersion + 1, storage);
        return LoadOrCreate(directory, storage);
    }

    private static Dictionary<int, byte[]> ReadKeys(string directory, MasterKeyStorage storage)
    {
        var keys = new Dictionary<int, byte[]>();
        foreach (var path in Directory.EnumerateFiles(directory, "master-v*.key"))
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
        WriteKeyFile(Path.Combine(directory, $"master-v{version}.key"), storage.Seal(key), replace: false);
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
