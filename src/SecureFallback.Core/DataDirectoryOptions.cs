namespace SecureFallback.Core;

/// <summary>The <c>SecureFallback:DataDirectory</c> setting: where the database, keys and certificate live.</summary>
public sealed class DataDirectoryOptions
{
    public const string SectionName = "SecureFallback";

    /// <summary>Data folder; relative paths are taken from the working directory. Default <c>data</c>.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Absolute path of the data folder.</summary>
    public string FullPath => Path.GetFullPath(DataDirectory);

    /// <summary>Resolves <paramref name="path"/> against the data folder unless it is already absolute.</summary>
    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(FullPath, path);
}
