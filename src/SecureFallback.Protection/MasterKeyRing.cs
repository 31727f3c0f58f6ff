using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace SecureFallback.Protection;

/// <summary>
/// Versioned master keys, one file per version (<c>master-v{n}.key</c>, 32 random bytes, mode 0600).
/// The highest version wraps new data keys; older versions stay to unwrap what they wrapped.
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
    public static MasterKeyRing LoadOrCreate(string directory)
    {
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var keys = ReadKeys(directory);
        if (keys.Count == 0)
        {
            keys[1] = WriteNewKey(directory, 1);
        }

        return new MasterKeyRing(keys);
    }

    /// <summary>Adds a new current version to the ring on disk and returns the reloaded ring.</summary>
    public static MasterKeyRing AddVersion(string directory)
    {
        var ring = LoadOrCreate(directory);
        WriteNewKey(directory, ring.CurrentVersion + 1);
        return LoadOrCreate(directory);
    }

    private static Dictionary<int, byte[]> ReadKeys(string directory)
    {
        var keys = new Dictionary<int, byte[]>();
        foreach (var path in Directory.EnumerateFiles(directory, "master-v*.key"))
        {
            var match = KeyFileName().Match(Path.GetFileName(path));
            if (!match.Success)
            {
                continue;
            }

            var bytes = File.ReadAllBytes(path);
            if (bytes.Length != KeySize)
            {
                throw new KeyRingUnavailableException(
                    $"Master key file '{path}' has {bytes.Length} bytes, expected {KeySize}. Restore it from backup; it cannot be regenerated.");
            }

            keys[int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)] = bytes;
        }

        return keys;
    }

    private static byte[] WriteNewKey(string directory, int version)
    {
        var key = RandomNumberGenerator.GetBytes(KeySize);
        var path = Path.Combine(directory, $"master-v{version}.key");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(key);
            stream.Flush(flushToDisk: true);
        }

        return key;
    }

    [GeneratedRegex(@"^master-v(\d+)\.key$")]
    private static partial Regex KeyFileName();
}

/// <summary>The master key ring cannot be used; queued mail would be unreadable, so the server must not start.</summary>
public sealed class KeyRingUnavailableException(string message) : Exception(message);
