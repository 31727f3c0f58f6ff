using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Policies;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// Collects what the TLS handshake showed about the peer certificate, without deciding: a session may carry mail
/// of several levels, so each message's level is checked against these facts (<see cref="Check"/>) before it is sent.
/// Expiry is judged apart from trust so that the audit trail names the real cause (TLS-RPT vocabulary).
/// </summary>
internal sealed class PeerCertificateCheck(X509Certificate2Collection trustedRoots, TimeProvider timeProvider)
{
    public X509Certificate2? PeerCertificate { get; private set; }

    public bool ChainTrusted { get; private set; }

    public bool Expired { get; private set; }

    /// <summary>The hop's DNSSEC-validated TLSA records (RFC 7672); when there are any, they decide at every level.</summary>
    public IReadOnlyList<TlsaAssociation> Tlsa { get; init; } = [];

    /// <summary>Copies of the certificates above the leaf that the handshake showed (for DANE-TA).</summary>
    private readonly List<X509Certificate2> _issuers = [];

    /// <summary>The handshake callback: records the facts and accepts any certificate (the level check comes next).</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false; // no certificate at all cannot carry a TLS session worth the name
        }

        // Our own copy: the handshake's certificate object dies with the connection, the facts must outlive it.
        var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        PeerCertificate = leaf;
        var now = timeProvider.GetUtcNow();
        Expired = leaf.NotAfter.ToUniversalTime() < now.UtcDateTime || leaf.NotBefore.ToUniversalTime() > now.UtcDateTime;
        var intermediates = new X509Certificate2Collection();
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                intermediates.Add(element.Certificate);
                if (!element.Certificate.RawData.AsSpan().SequenceEqual(leaf.RawData))
                {
                    _issuers.Add(X509CertificateLoader.LoadCertificate(element.Certificate.RawData));
                }
            }
        }

        // Expiry is judged on its own (above), so the audit trail names it rather than "not trusted".
        ChainTrusted = Chains(leaf, intermediates, customRoots: null, checkValidity: false)
            || (trustedRoots.Count > 0 && Chains(leaf, intermediates, trustedRoots, checkValidity: false));
        return true;
    }

    /// <summary>Null when the facts meet <paramref name="level"/>; otherwise the TLS failure to record.</summary>
    public HostAttemptResult? Check(TlsLevel level, string mxHost, string recipientDomain)
    {
        if (Tlsa.Count > 0 && PeerCertificate is not null)
        {
            // RFC 7672: validated TLSA records are used wherever they exist, whatever the level asks for.
            return DaneMatches(mxHost)
                ? null
                : Failure(FailureReason.TlsaInvalid, $"the certificate of {mxHost} ({PeerCertificate.Subject}) matches none of its {Tlsa.Count} DNSSEC-validated TLSA records");
        }

        if (level == TlsLevel.Encrypt)
        {
            return null;
        }

        if (level == TlsLevel.DaneOnly)
        {
            return Failure(FailureReason.DaneRequired, $"the policy requires DANE, and {mxHost} has no DNSSEC-validated TLSA records");
        }

        if (PeerCertificate is null)
        {
            return Failure(FailureReason.ValidationFailure, "the server presented no certificate");
        }

        if (Expired)
        {
            return Failure(FailureReason.CertificateExpired, $"the certificate of {mxHost} is outside its validity ({PeerCertificate.NotBefore:yyyy-MM-dd} to {PeerCertificate.NotAfter:yyyy-MM-dd})");
        }

        if (!ChainTrusted)
        {
            return Failure(FailureReason.CertificateNotTrusted, $"the certificate of {mxHost} ({PeerCertificate.Subject}, issued by {PeerCertificate.Issuer}) does not chain to a trusted CA");
        }

        var nameOk = level == TlsLevel.Verify
            ? PeerCertificate.MatchesHostname(mxHost, allowWildcards: true, allowCommonName: true)
            : NamesDomain(PeerCertificate, recipientDomain);
        return nameOk
            ? null
            : Failure(FailureReason.CertificateHostMismatch, level == TlsLevel.Verify
                ? $"the certificate ({PeerCertificate.Subject}) is not valid for the MX host {mxHost}"
                : $"the certificate ({PeerCertificate.Subject}) is not valid for the recipient domain {recipientDomain} or a name below it");
    }

    /// <summary>DANE-EE(3): the leaf itself; DANE-TA(2): an issuer the server showed, that the leaf chains to, and the MX name.</summary>
    private bool DaneMatches(string mxHost)
    {
        var leaf = PeerCertificate!;
        if (Tlsa.Any(r => r.Usage == 3 && r.Matches(leaf)))
        {
            return true;
        }

        foreach (var anchor in _issuers.Where(issuer => Tlsa.Any(r => r.Usage == 2 && r.Matches(issuer))))
        {
            if (Chains(leaf, [.. _issuers], [anchor], checkValidity: true) && leaf.MatchesHostname(mxHost, allowWildcards: true, allowCommonName: true))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The <c>secure</c> match (Postfix's nexthop, dot-nexthop): the domain itself or any name below it.</summary>
    private static bool NamesDomain(X509Certificate2 certificate, string domain) =>
        certificate.MatchesHostname(domain, allowWildcards: true, allowCommonName: true)
        || DnsNames(certificate).Any(name => name.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<string> DnsNames(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames());

    /// <summary>
    /// Whether <paramref name="leaf"/> chains, through <paramref name="intermediates"/>, to the system roots or only to
    /// <paramref name="customRoots"/> when given. Revocation is not checked (no OCSP/CRL fetches from the delivery path).
    /// </summary>
    internal static bool Chains(X509Certificate2 leaf, X509Certificate2Collection intermediates, X509Certificate2Collection? customRoots, bool checkValidity)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!checkValidity)
        {
            chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        }

        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        if (customRoots is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(customRoots);
        }

        return chain.Build(leaf);
    }

    private static HostAttemptResult Failure(string reason, string diagnostic) => HostAttemptResult.TlsFailed(reason, diagnostic);
}
