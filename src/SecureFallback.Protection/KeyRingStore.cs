using System.Runtime.InteropServices;

namespace SecureFallback.Protection;

/// <summary>
/// Where the sealed master key versions live: files under the data directory (one instance), or the shared
/// database (several instances on PostgreSQL). Holds only what <see cref="MasterKeySealing"/> sealed.
/// </summary>
public abstract class KeyRingStore
{
    /// <summary>
    /// The longest <see cref="MayHave"/> may answer from a cache: a process may go on sealing with the version it
    /// knows as current for this long after a newer one was added.
    /// </summary>
    public static readonly TimeSpan NewVersionPollLimit = TimeSpan.FromSeconds(30);

    /// <summary>Where the keys are, for messages to the admin (a folder, or "the database").</summary>
    public abstract string Location { get; }

    /// <summary>What to restore from a backup when <paramref name="version"/> is missing.</summary>
    public abstract string NameOf(int version);

    /// <summary>Every stored version, sealed.</summary>
    public abstract IReadOnlyDictionary<int, byte[]> ReadAll();

    /// <summary>Stores a new version; false when that version already exists (another process added it first).</summary>
    public abstract bool TryAdd(int version, byte[] sealedKey);

    /// <summary>Replaces a version's sealed form (the same key, sealed anew).</summary>
    public abstract void Replace(int version, byte[] sealedKey);

    public abstract void Delete(int version);

    /// <summary>When <paramref name="version"/> was stored, or null when it is not (or the store cannot tell).</summary>
    public abstract DateTimeOffset? AddedAt(int version);

    /// <summary>Whether <paramref name="version"/> may exist: asked on each seal, so it must be cheap (it may be stale).</summary>
    public abstract bool MayHave(int version);
}

/// <summary>One file per version (<c>master-v{n}.key</c>, mode 0600) in a folder only the service user can open.</summary>
public sealed partial class FileKeyRingStore : KeyRingStore
{
    private readonly string _directory;

    public FileKeyRingStore(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public override string Location => _directory;

    public override string NameOf(int version) => PathOf(version);

    public override IReadOnlyDictionary<int, byte[]> ReadAll()
    {
        var keys = new Dictionary<int, byte[]>();
        foreach (var path in Directory.EnumerateFiles(_directory, "master-v*.key"))
        {
            var match = KeyFileName().Match(Path.GetFileName(path));
            if (match.Success)
            {
                keys[int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)] = File.ReadAllBytes(path);
            }
        }

        return keys;
    }

    public override bool TryAdd(int version, byte[] sealedKey)
    {
        try
        {
            SecretFile.Write(PathOf(version), sealedKey, replace: false);
            return true;
        }
        catch (IOException) when (File.Exists(PathOf(version)))
        {
            return false;
        }
    }

    public override void Replace(int version, byte[] sealedKey) => SecretFile.Write(PathOf(version), sealedKey, replace: true);

    /// <summary>Deletes the version's key file, and any temporary copy of it a crash left between write and rename.</summary>
    public override void Delete(int version)
    {
        File.Delete(PathOf(version));
        foreach (var leftover in Directory.EnumerateFiles(_directory, $"master-v{version}.key.*.tmp"))
        {
            File.Delete(leftover);
        }
    }

    public override bool MayHave(int version) => File.Exists(PathOf(version));

    public override DateTimeOffset? AddedAt(int version) =>
        File.Exists(PathOf(version)) ? new DateTimeOffset(File.GetLastWriteTimeUtc(PathOf(version)), TimeSpan.Zero) : null;

    private string PathOf(int version) => Path.Combine(_directory, $"master-v{version}.key");

    [System.Text.RegularExpressions.GeneratedRegex(@"^master-v(\d+)\.key$")]
    private static partial System.Text.RegularExpressions.Regex KeyFileName();
}

/// <summary>
/// Writes secret files: mode 0600 from the start, flushed to disk under a temporary name of their own, then given
/// their name by a rename, so a reader (another process loading the ring) sees the whole file or none — never an
/// empty or partial one.
/// </summary>
public static class SecretFile
{
    /// <param name="path">The file to write.</param>
    /// <param name="contents">What it holds.</param>
    /// <param name="replace">Whether an existing file is replaced; without it, an existing file is left as it is.</param>
    /// <exception cref="IOException">Without <paramref name="replace"/>, when <paramref name="path"/> already exists.</exception>
    public static void Write(string path, byte[] contents, bool replace)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(contents);
                stream.Flush(flushToDisk: true);
            }

            if (replace || OperatingSystem.IsWindows())
            {
                // Windows' move without overwrite fails atomically when the name exists.
                File.Move(temporary, path, overwrite: replace);
            }
            else
            {
                // .NET's Move without overwrite on Unix checks for the name, then renames: two writers at once could
                // both "win", the second replacing the first's key after it was used. link(2) creates the name only
                // if it does not exist, atomically; the temporary name is deleted below.
                NewName(temporary, path);
            }
        }
        finally
        {
            File.Delete(temporary); // nothing left when the move failed (a no-op when it succeeded)
        }
    }

    private static void NewName(string existing, string path)
    {
        if (Link(existing, path) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw error == EExist
                ? new IOException($"The file '{path}' already exists.")
                : new IOException($"Could not create '{path}' (errno {error}).");
        }
    }

    private const int EExist = 17;

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);
}
