using System.Net;
using DnsClient;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace SecureFallback.TestKit;

/// <summary>
/// Finds a DKIM public key the way a receiving verifier does: the TXT record <c>&lt;selector&gt;._domainkey.&lt;domain&gt;</c>,
/// asked of a DNS server (a <see cref="TestDnsServer"/> publishing it), its character-strings joined (RFC 6376 3.6.2.2).
/// </summary>
public sealed class DnsDkimKeyLocator(IPEndPoint dnsServer) : DkimPublicKeyLocatorBase
{
    private readonly LookupClient _dns = new(new LookupClientOptions(dnsServer) { UseCache = false, Timeout = TimeSpan.FromSeconds(5), Retries = 1 });

    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        KeyIn(_dns.Query(Name(domain, selector), QueryType.TXT), domain, selector);

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        KeyIn(await _dns.QueryAsync(Name(domain, selector), QueryType.TXT, cancellationToken: cancellationToken), domain, selector);

    private static string Name(string domain, string selector) => $"{selector}._domainkey.{domain}";

    private AsymmetricKeyParameter KeyIn(IDnsQueryResponse answer, string domain, string selector) =>
        GetPublicKey(string.Concat(answer.Answers.TxtRecords().FirstOrDefault()?.Text
            ?? throw new InvalidOperationException($"no DKIM key is published at {Name(domain, selector)}")));
}
