namespace SecureFallback.Smtp.Net;

/// <summary>The per-connection limits the network layer enforces, taken from <see cref="IntakeOptions"/>.</summary>
internal sealed record SessionLimits(int MaxCommandLineBytes, TimeSpan IdleTimeout)
{
    /// <summary>As Postfix's <c>line_length_limit</c>: RFC 5321 asks for 512, extensions make lines longer.</summary>
    public const int DefaultMaxCommandLineBytes = 2048;
}
