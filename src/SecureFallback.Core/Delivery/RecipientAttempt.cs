namespace SecureFallback.Core.Delivery;

/// <summary>The attempt that decided a recipient's outcome in one round, as the recipient's state machine needs it.</summary>
/// <param name="Result">The decided result (<see cref="RecipientOutcomeDecision.Decide"/>).</param>
/// <param name="RemoteHost">The host that gave that result, if one did.</param>
/// <param name="TlsProtocol">The TLS protocol of that host's session, e.g. <c>Tls13</c>; <c>null</c> when it had no TLS.</param>
/// <param name="TlsCipher">The cipher suite of that session, if known.</param>
public sealed record RecipientAttempt(HostAttemptResult Result, string? RemoteHost, string? TlsProtocol = null, string? TlsCipher = null)
{
    /// <summary>True when the deciding session was encrypted.</summary>
    public bool OverTls => TlsProtocol is not null;
}

/// <summary>The settings that turn a recorded attempt into a transition (delivery, pickup and notice options).</summary>
/// <param name="MaxQueueTime">How long after intake transient failures are retried before giving up (4.4.7).</param>
/// <param name="PickupRetention">How long a held copy waits for pickup.</param>
/// <param name="Retry">Delays between attempts.</param>
/// <param name="ReportDelivered">Whether the sender gets a DSN for a successful delivery too.</param>
public sealed record QueueRules(TimeSpan MaxQueueTime, TimeSpan PickupRetention, RetrySchedule Retry, bool ReportDelivered);
