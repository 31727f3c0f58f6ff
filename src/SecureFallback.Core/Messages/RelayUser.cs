namespace SecureFallback.Core.Messages;

/// <summary>An account that may relay through the intake after SMTP AUTH (over TLS only).</summary>
public sealed class RelayUser
{
    public int Id { get; set; }

    /// <summary>Login name, compared case-insensitively (stored lower-case).</summary>
    public string Name { get; set; } = "";

    /// <summary>ASP.NET Core Identity password hash (PBKDF2), never the password.</summary>
    public string PasswordHash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}
