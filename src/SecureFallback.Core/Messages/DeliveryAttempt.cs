using SecureFallback.Core.Delivery;

namespace SecureFallback.Core.Messages;

/// <summary>One try of one recipient at one host: the audit record of what happened on the wire.</summary>
public sealed class DeliveryAttempt
{
    public long Id { get; set; }

    public long RecipientId { get; set; }

    public Guid MessageId { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public string Host { get; set; } = "";

    public string? IpAddress { get; set; }

    public int Port { get; set; }

    public DeliveryOutcome Outcome { get; set; }

    public string? Reason { get; set; }

    public string? TlsProtocol { get; set; }

    public string? TlsCipher { get; set; }

    public string? CertificateSubject { get; set; }

    public string? CertificateSha256 { get; set; }

    public string? SmtpReply { get; set; }

    /// <summary>The level this attempt had to meet.</summary>
    public Policies.TlsLevel? RequiredLevel { get; set; }

    /// <summary>For a TLS session: whether it would also have met <c>verify</c> (the shadow report's input).</summary>
    public bool? MeetsVerify { get; set; }

    /// <summary>For a TLS session: whether it would also have met <c>secure</c>.</summary>
    public bool? MeetsSecure { get; set; }
}
