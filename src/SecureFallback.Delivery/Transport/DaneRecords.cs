using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DnsClient;
using DnsClient.Protocol;
using SecureFallback.Delivery.Routing;

namespace SecureFallback.Delivery.Transport;

/// <summary>One usable TLSA record (RFC 7672: only DANE-TA(2) and DANE-EE(3) count for SMTP).</summary>
internal sealed record TlsaAssociation(int Usage, int Selector, int MatchingType, byte[] Data)
{
    /// <summary>Whether <paramref name="certificate"/> is the one this record names.</summary>
    public bool Matches(X509Certificate2 certificate)
    {
        var selected = Selector == 1 ? certificate.PublicKey.ExportSubjectPublicKeyInfo() : certificate.RawData;
        var digest = MatchingType switch
        {
            1 => SHA256.HashData(selected),
            2 => SHA512.HashData(selected),
            _ => selected,
        };
        return CryptographicOperations.FixedTimeEquals(digest, Data);
    }
}

/// <summary>
/// Looks up the TLSA records of a next hop (<c>_&lt;port&gt;._tcp.&lt;host&gt;</c>) and lets <see cref="DaneDecision"/>
/// judge them: trusted only when the resolver said the answer is DNSSEC-authenticated (AD bit; the resolver must be a
/// validating one on a trusted path, see <c>Dns:Servers</c>), and only for a host whose MX and address answers were
/// authenticated too. A lookup that fails makes the host unusable for the attempt (RFC 7672 2.2: fail closed).
/// </summary>
internal sealed class DaneRecords(ILookupClient dns)
{
    /// <summary>The DANE verdict for <paramref name="hop"/> in this attempt.</summary>
    public async Task<DaneVerdict> ForAsync(NextHop hop, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(hop.HostName, out _) || !DaneDecision.NeedsLookup(hop.DnssecSecure))
        {
            return DaneVerdict.NoDane;
        }

        return DaneDecision.Decide(hop.HostName, hop.DnssecSecure, await LookupAsync(hop.HostName, hop.Port, cancellationToken));
    }

    private async Task<TlsaAnswer> LookupAsync(string host, int port, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await dns.QueryAsync($"_{port}._tcp.{host.TrimEnd('.')}", QueryType.TLSA, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever broke the lookup (time-out, socket, an answer DnsClient cannot parse), it is no answer: fail closed.
            return TlsaAnswer.Failed(ex.Message);
        }

        if (response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
        {
            return TlsaAnswer.Failed(response.ErrorMessage);
        }

        if (!response.Header.IsAuthenticData)
        {
            return TlsaAnswer.Insecure;
        }

        return TlsaAnswer.Authenticated([.. response.Answers.OfType<TlsaRecord>()
            .Select(r => new TlsaAssociation((int)r.CertificateUsage, (int)r.Selector, (int)r.MatchingType, r.CertificateAssociationData.ToArray()))]);
    }
}
