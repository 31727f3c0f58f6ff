namespace SecureFallback.Core.Reporting;

/// <summary>
/// How many TLS session attempts of one kind were made on one UTC day: per policy domain, policy, result, sending IP,
/// receiving MX host, receiving IP and receiving EHLO name. Instances add to the same row (an upsert), so one report
/// covers them all (RFC 8460 4). Empty strings, never nulls, stand for "unknown" so the key stays unique.
/// </summary>
public sealed class TlsSessionCount
{
    public long Id { get; set; }

    /// <summary>The UTC day, <c>yyyy-MM-dd</c>.</summary>
    public string Day { get; set; } = "";

    /// <summary>The recipient domain the policy belongs to.</summary>
    public string PolicyDomain { get; set; } = "";

    /// <summary><see cref="TlsRptPolicy.Key"/> of <see cref="Policy"/>.</summary>
    public string PolicyKey { get; set; } = "";

    /// <summary><see cref="TlsRptPolicy.Serialize"/>.</summary>
    public string Policy { get; set; } = "";

    /// <summary><see cref="TlsRptResult.Success"/> or an RFC 8460 result type.</summary>
    public string ResultType { get; set; } = "";

    public string SendingIp { get; set; } = "";

    public string ReceivingMxHost { get; set; } = "";

    public string ReceivingIp { get; set; } = "";

    /// <summary>The receiving MX's EHLO name where it is known; empty otherwise.</summary>
    public string ReceivingMxHelo { get; set; } = "";

    public long SessionCount { get; set; }
}
