namespace SecureFallback.Data;

/// <summary>Settings under <c>SecureFallback:Database</c>.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "SecureFallback:Database";

    /// <summary>SQLite file; relative paths are under the data directory. Default <c>securefallback.db</c>.</summary>
    public string SqlitePath { get; set; } = "securefallback.db";
}
