using SecureFallback.Core.Delivery;

namespace SecureFallback.Core.Reporting;

/// <summary>
/// The result of one TLS session attempt in SMTP TLS Reporting's vocabulary (RFC 8460 4.3): <see cref="Success"/>, or
/// one of the IANA result types. Our failure reasons already use those names for TLS failures; everything else
/// (a connection that never reached STARTTLS, a 4xx, a content rule) is no TLS result and is not reported.
/// </summary>
public static class TlsRptResult
{
    /// <summary>The stored result of a session that negotiated TLS at the level required.</summary>
    public const string Success = "success";

    public const string StsPolicyFetchError = "sts-policy-fetch-error";
    public const string StsPolicyInvalid = "sts-policy-invalid";
    public const string StsWebPkiInvalid = "sts-webpki-invalid";

    /// <summary>Every RFC 8460 failure result type.</summary>
    public static IReadOnlyList<string> FailureTypes { get; } =
    [
        FailureReason.StartTlsNotSupported, FailureReason.CertificateHostMismatch, FailureReason.CertificateExpired,
        FailureReason.CertificateNotTrusted, FailureReason.ValidationFailure, FailureReason.TlsaInvalid,
        FailureReason.DnssecInvalid, FailureReason.DaneRequired, StsPolicyFetchError, StsPolicyInvalid, StsWebPkiInvalid,
    ];

    /// <summary>
    /// What a host attempt counts as: <see cref="Success"/> when it had a TLS session and no TLS failure reason, the
    /// RFC 8460 type of its TLS failure, or null when it is no TLS result (never connected, or not about TLS).
    /// </summary>
    /// <param name="reason">The attempt's <see cref="FailureReason"/>, if any.</param>
    /// <param name="hadTlsSession">Whether a TLS session was negotiated with the host.</param>
    public static string? Of(string? reason, bool hadTlsSession)
    {
        if (reason is not null && FailureTypes.Contains(reason))
        {
            return reason;
        }

        // requiretls-not-supported, a 4xx or 5xx inside TLS: the TLS session itself succeeded.
        return hadTlsSession ? Success : null;
    }
}
