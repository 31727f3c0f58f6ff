namespace SecureFallback.Data;

/// <summary>Settings under <c>SecureFallback:Database</c>, plus <c>ConnectionStrings:SecureFallback</c> for PostgreSQL.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "SecureFallback:Database";

    /// <summary>The connection string's name under <c>ConnectionStrings</c>.</summary>
    public const string ConnectionStringName = "SecureFallback";

    /// <summary><c>sqlite</c> (default: one file under the data directory) or <c>postgres</c> (one or more instances).</summary>
    public string Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>SQLite file; relative paths are under the data directory. Default <c>securefallback.db</c>.</summary>
    public string SqlitePath { get; set; } = "securefallback.db";

    /// <summary>Bound from <c>ConnectionStrings:SecureFallback</c>; required for <c>postgres</c>.</summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => string.Equals(Provider, DatabaseProvider.Postgres, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The values of <c>SecureFallback:Database:Provider</c>.</summary>
public static class DatabaseProvider
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>Where the PostgreSQL migrations live (EF keeps one migration history per provider).</summary>
    public const string PostgresMigrationsAssembly = "SecureFallback.Data.Postgres";
}
