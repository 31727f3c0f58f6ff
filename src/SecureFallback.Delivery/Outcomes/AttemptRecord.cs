using System.Net;
using SecureFallback.Core.Delivery;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Outcomes;

/// <summary>One host's result for one recipient, with where it happened and what TLS was negotiated.</summary>
internal sealed record AttemptRecord(string Host, IPAddress? Address, int Port, HostAttemptResult Result, TlsSessionInfo? Tls, DateTimeOffset StartedAt, Core.Policies.TlsLevel? RequiredLevel = null, ShadowLevels? Shadow = null)
{
    /// <summary>
    /// The host's DNSSEC-validated TLSA records when DANE applied to the attempt (empty when the host is secure but
    /// its TLSA lookup failed), else null: the <c>tlsa</c> policy of the TLS report.
    /// </summary>
    public IReadOnlyList<TlsaAssociation>? Tlsa { get; init; }

    /// <summary>
    /// True when the attempt used a connection opened for an earlier message (a cached session): no new TLS session,
    /// so the TLS report does not count it again.
    /// </summary>
    public bool Reused { get; init; }
}

/// <summary>Which stricter levels a TLS session would have met, recorded for the shadow report.</summary>
internal sealed record ShadowLevels(bool Verify, bool Secure);
