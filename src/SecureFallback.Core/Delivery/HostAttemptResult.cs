namespace SecureFallback.Core.Delivery;

/// <summary>What one host did with one recipient in one attempt.</summary>
/// <param name="Outcome">The classified result.</param>
/// <param name="Reason">Reason in the TLS-RPT vocabulary or a <see cref="FailureReason"/> constant.</param>
/// <param name="Diagnostic">SMTP reply or error text.</param>
/// <param name="StatusCode">Enhanced status code (RFC 3463) if known.</param>
public sealed record HostAttemptResult(DeliveryOutcome Outcome, string? Reason, string? Diagnostic, string? StatusCode);

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
            return new HostAttemptResult(DeliveryOutcome.Transient, FailureReason.ConnectionFailed, "no host was tried", "4.4.1");
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
