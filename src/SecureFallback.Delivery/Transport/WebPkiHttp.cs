using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DnsClient;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// HTTPS clients for the fetches and posts delivery makes of its own (MTA-STS policies, TLS reports): through our
/// resolver (the one delivery uses), no proxy, no redirects, and a WebPKI-valid certificate for the host — with the
/// admin's extra roots (<c>Delivery:TrustedRoots</c>) as the only addition to the system's.
/// </summary>
internal sealed class WebPkiHttp(ILookupClient dns, TrustedRoots trustedRoots)
{
    /// <summary>A client for <paramref name="host"/> only; dispose it after use.</summary>
    /// <param name="host">The host the certificate must name.</param>
    /// <param name="timeout">The client's timeout.</param>
    /// <param name="publicOnly">Refuse to connect to an address that is not globally routable (<see cref="PublicAddress"/>).</param>
    public HttpClient Create(string host, TimeSpan timeout, bool publicOnly = false) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectCallback = (context, token) => ConnectAsync(context.DnsEndPoint, publicOnly, token),
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, chain, errors) => IsWebPkiValid(certificate, chain, errors, host) },
    })
    { Timeout = timeout };

    /// <summary>Connects through our resolver (the one delivery uses), not the system's, so both see the same DNS.</summary>
    /// <remarks>The address is checked here, where it is connected to, so a second lookup cannot swap it.</remarks>
    private async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, bool publicOnly, CancellationToken cancellationToken)
    {
        var answer = await dns.QueryAsync(endPoint.Host, DnsClient.QueryType.A, cancellationToken: cancellationToken);
        var address = answer.Answers.ARecords().Select(a => a.Address).FirstOrDefault()
            ?? throw new HttpRequestException($"{endPoint.Host} has no A record");
        if (publicOnly && !PublicAddress.IsGloballyRoutable(address))
        {
            throw new HttpRequestException($"{endPoint.Host} resolves to {address}, not a public address");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private bool IsWebPkiValid(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, string host)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || trustedRoots.Certificates.Count == 0)
        {
            return false;
        }

        // Only the chain failed: accept it when it leads to one of the admin's extra roots (Delivery:TrustedRoots).
        var intermediates = new X509Certificate2Collection();
        foreach (var element in chain?.ChainElements ?? (IEnumerable<X509ChainElement>)[])
        {
            intermediates.Add(element.Certificate);
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return PeerCertificateCheck.Chains(leaf, intermediates, trustedRoots.Certificates, checkValidity: true) && leaf.MatchesHostname(host);
    }
}
