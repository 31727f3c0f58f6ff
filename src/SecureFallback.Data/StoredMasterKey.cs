namespace SecureFallback.Data;

/// <summary>
/// One version of the master key ring when it is kept in the database (PostgreSQL, shared by every instance).
/// <see cref="Sealed"/> is the key as the configured key provider seals it — never the plain key — so the
/// database alone opens nothing.
/// </summary>
public sealed class StoredMasterKey
{
    public int Version { get; set; }

    public byte[] Sealed { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }
}
