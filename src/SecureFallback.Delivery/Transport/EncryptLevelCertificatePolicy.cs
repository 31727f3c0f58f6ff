using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// Certificate decision for the <c>encrypt</c> level (Postfix's name): TLS is mandatory, but the certificate is not
/// authenticated, as with Exchange's RequireTLS rule. Stricter levels (verify, secure, dane-only) add their own
/// policies in a later step. Whatever the decision, the peer certificate is captured for the audit trail.
/// </summary>
internal sealed class EncryptLevelCertificatePolicy
{
    public X509Certificate2? PeerCertificate { get; private set; }

    public SslPolicyErrors Errors { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        Errors = errors;
        if (certificate is null)
        {
            // No certificate at all cannot carry a TLS session worth the name.
            return false;
        }

        PeerCertificate = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return AcceptsUnauthenticatedPeers;
    }

    /// <summary>At <c>encrypt</c> the chain and name are recorded, not enforced.</summary>
    private static bool AcceptsUnauthenticatedPeers => true;
}
