namespace SecureFallback.Core.Delivery;

/// <summary>
/// Failure reasons. The TLS ones are the IANA TLS-RPT result types (RFC 8460) so that audit
/// records and reports use the vocabulary admins already know; the rest name queue-level causes.
/// </summary>
public static class FailureReason
{
    public const string StartTlsNotSupported = "starttls-not-supported";
    public const string ValidationFailure = "validation-failure";
    public const string CertificateHostMismatch = "certificate-host-mismatch";
    public const string CertificateExpired = "certificate-expired";
    public const string CertificateNotTrusted = "certificate-not-trusted";
    public const string DaneRequired = "dane-required";
    public const string TlsaInvalid = "tlsa-invalid";

    /// <summary>A DNSSEC lookup the decision needs (a secure host's TLSA records) failed: SERVFAIL, time-out, garbage.</summary>
    public const string DnssecInvalid = "dnssec-invalid";

    /// <summary>A REQUIRETLS message met a next hop that does not offer REQUIRETLS (RFC 8689, status 5.7.30).</summary>
    public const string RequireTlsNotSupported = "requiretls-not-supported";

    /// <summary>Not a TLS failure: a content rule sent the message to pickup although TLS may have worked.</summary>
    public const string PolicyPickup = "policy-pickup";

    public const string ConnectionFailed = "connection-failed";
    public const string Timeout = "timeout";

    /// <summary>
    /// The whole message went out but its reply never came (the connection dropped, or the reply outlasted
    /// <c>Delivery:DataTerminationTimeout</c>): it may have been delivered (RFC 5321 6.1), so it is retried later,
    /// never sent at once to the next host.
    /// </summary>
    public const string NoReplyAfterData = "no-reply-after-data";
    public const string TemporaryReply = "temporary-reply";
    public const string PermanentReply = "permanent-reply";
    public const string DnsTemporaryFailure = "dns-temporary-failure";
    public const string DomainNotFound = "domain-not-found";
    public const string NullMx = "null-mx";
    public const string NoAddress = "no-address";
    public const string QueueExpired = "queue-expired";

    /// <summary>An administrator deleted the recipient from the queue (status 5.3.0; the sender gets a DSN).</summary>
    public const string DeletedByAdmin = "deleted-by-admin";

    /// <summary>
    /// The stored address is no RFC 5321 mailbox that mail can be written to (status 5.1.3, or 5.1.7 for the sender):
    /// it fails alone, permanently, and never holds back another recipient or notice.
    /// </summary>
    public const string BadAddress = "bad-address";
}
