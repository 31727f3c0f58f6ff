namespace SecureFallback.Core.Delivery;

/// <summary>What one host did with one recipient in one attempt.</summary>
/// <param name="Outcome">The classified result.</param>
/// <param name="Reason">Reason in the TLS-RPT vocabulary or a <see cref="FailureReason"/> constant.</param>
/// <param name="Diagnostic">SMTP reply or error text.</param>
/// <param name="StatusCode">Enhanced status code (RFC 3463) if known.</param>
public sealed record HostAttemptResult(DeliveryOutcome Outcome, string? Reason, string? Diagnostic, string? StatusCode)
{
    /// <summary>The next hop accepted the recipient (status 2.0.0).</summary>
    /// <param name="reply">The server's reply.</param>
    public static HostAttemptResult Delivered(string? reply) => new(DeliveryOutcome.Delivered, null, reply, "2.0.0");

    /// <summary>The next hop did not offer TLS.</summary>
    public static HostAttemptResult TlsUnavailable(string reason, string diagnostic, string statusCode = "5.7.10") =>
        new(DeliveryOutcome.TlsUnavailable, reason, diagnostic, statusCode);

    /// <summary>TLS was refused, failed, or did not meet the required level.</summary>
    public static HostAttemptResult TlsFailed(string reason, string diagnostic, string statusCode = "5.7.10") =>
        new(DeliveryOutcome.TlsFailed, reason, diagnostic, statusCode);

    /// <summary>A failure worth retrying on the schedule (connection, time-out, DNS, 4xx).</summary>
    public static HostAttemptResult Transient(string reason, string diagnostic, string? statusCode) =>
        new(DeliveryOutcome.Transient, reason, diagnostic, statusCode);

    /// <summary>A failure no retry mends (5xx, no such domain, unusable content).</summary>
    public static HostAttemptResult Permanent(string reason, string diagnostic, string? statusCode) =>
        new(DeliveryOutcome.Permanent, reason, diagnostic, statusCode);

    /// <summary>A content rule sent the message to pickup although TLS may have worked: nothing was sent.</summary>
    /// <param name="source">The decision's source, for the audit trail.</param>
    public static HostAttemptResult PolicyPickup(string source) =>
        new(DeliveryOutcome.TlsFailed, FailureReason.PolicyPickup, $"held for secure pickup by {source}", "2.0.0");

    /// <summary>A REQUIRETLS message met a next hop that does not offer REQUIRETLS (RFC 8689, 5.7.30).</summary>
    /// <param name="host">The next hop's host name.</param>
    public static HostAttemptResult RequireTlsUnsupported(string host) =>
        new(DeliveryOutcome.TlsFailed, FailureReason.RequireTlsNotSupported, $"{host} does not offer REQUIRETLS", "5.7.30");
}

/// <summary>
/// Decides a recipient's outcome once every next-hop host was tried (PROTOCOLS.md: decide only after all MX hosts).
/// </summary>
public static class RecipientOutcomeDecision
{
    /// <summary>
    /// Combines the per-host results of one attempt, in the order the hosts were tried.
    /// A host that answered the recipient (delivered or 5xx) decides; otherwise any transient failure wins over
    /// TLS failures, because a host that was merely unreachable may still offer TLS on the next attempt.
    /// Only when every host failed TLS is the outcome a TLS failure.
    /// </summary>
    public static HostAttemptResult Decide(IReadOnlyList<HostAttemptResult> perHost)
    {
        if (perHost.Count == 0)
        {
            return HostAttemptResult.Transient(FailureReason.ConnectionFailed, "no host was tried", "4.4.1");
        }

        var answered = perHost.FirstOrDefault(r => r.Outcome is DeliveryOutcome.Delivered or DeliveryOutcome.Permanent);
        if (answered is not null)
        {
            return answered;
        }

        var transient = perHost.LastOrDefault(r => r.Outcome == DeliveryOutcome.Transient);
        if (transient is not null)
        {
            return transient;
        }

        // Every host failed TLS. Prefer a failed handshake over a missing STARTTLS in the report: it is the more specific.
        return perHost.FirstOrDefault(r => r.Outcome == DeliveryOutcome.TlsFailed) ?? perHost[0];
    }
}
