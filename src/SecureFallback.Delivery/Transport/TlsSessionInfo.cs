namespace SecureFallback.Delivery.Transport;

/// <summary>What was negotiated with a next hop, for the audit trail.</summary>
internal sealed record TlsSessionInfo(string Protocol, string? Cipher, string? CertificateSubject, string? CertificateSha256);
