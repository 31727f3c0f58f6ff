using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DnsClient;
using DnsClient.Protocol;

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
/// The TLSA records of a next hop, trusted only when the resolver said the answer is DNSSEC-authenticated (AD bit;
/// the resolver must be a validating one on a trusted path, see <c>Dns:Servers</c>). Unauthenticated or unusable
/// records count as none, as RFC 7672 asks.
/// </summary>
internal sealed class DaneRecords(ILookupClient dns)
{
    public async Task<IReadOnlyList<TlsaAssociation>> LookupAsync(string host, int port, CancellationToken cancellationToken)
    {
        try
        {
            var response = await dns.QueryAsync($"_{port}._tcp.{host.TrimEnd('.')}", QueryType.TLSA, cancellationToken: cancellationToken);
            if (response.HasError || !response.Header.IsAuthenticData)
            {
                return [];
            }

            return response.Answers.OfType<TlsaRecord>()
                .Select(r => new TlsaAssociation((int)r.CertificateUsage, (int)r.Selector, (int)r.MatchingType, r.CertificateAssociationData.ToArray()))
                .Where(r => r.Usage is 2 or 3 && r.Selector is 0 or 1 && r.MatchingType is 0 or 1 or 2)
                .ToList();
        }
        catch (DnsResponseException)
        {
            return [];
        }
    }
}
