using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;

namespace SecureFallback.Delivery.Routing;

/// <summary>
/// Static routes first, then MX (RFC 5321 5.1): MX hosts by preference (equal ones shuffled), A/AAAA of the domain
/// itself when it has no MX, RFC 7505 null MX and NXDOMAIN as permanent failures, time-outs and SERVFAIL as transient.
/// Each host is marked DNSSEC-secure when its MX answer (a static route counts as secure: the admin named it) and its
/// address answers carried the AD bit, so DANE can apply to it (RFC 7672 2.2).
/// </summary>
internal sealed class DnsNextHopResolver(IOptions<DeliveryOptions> options, ILookupClient dns) : INextHopResolver
{
    public async Task<NextHopResolution> ResolveAsync(string domain, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.Routes.TryGetValue(domain, out var route) && RouteParser.TryParse(route, settings.Port, out var parsed))
        {
            return await ResolveHostAsync(parsed.Host, parsed.Port, cancellationToken) with { Routed = true };
        }

        if (!DomainName.IsValid(domain))
        {
            // Refused at RCPT since; one queued before (or by an older version) must end, not wait in the queue.
            return NextHopResolution.Failed(HostAttemptResult.Permanent(FailureReason.DomainNotFound, $"Domain {domain} is not a valid host name", "5.1.2"));
        }

        try
        {
            return await ResolveMxAsync(domain, settings.Port, cancellationToken);
        }
        catch (DnsResponseException ex)
        {
            return TemporaryDnsFailure(domain, ex.Message);
        }
    }

    public async Task<NextHopResolution> ResolveHostAsync(string host, int port, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return NextHopResolution.Found([new NextHop(host, port, [literal])]);
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return NextHopResolution.Found([new NextHop(host, port, [IPAddress.Loopback])]);
        }

        try
        {
            var addresses = await ResolveAddressesAsync(host, cancellationToken);
            return addresses.Failure is not null
                ? new NextHopResolution([], addresses.Failure)
                : NextHopResolution.Found([new NextHop(host, port, addresses.Addresses, addresses.Authenticated)]);
        }
        catch (DnsResponseException ex)
        {
            return TemporaryDnsFailure(host, ex.Message);
        }
    }

    private async Task<NextHopResolution> ResolveMxAsync(string domain, int port, CancellationToken cancellationToken)
    {
        var response = await dns.QueryAsync(domain, QueryType.MX, QueryClass.IN, cancellationToken);
        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
        {
            return NextHopResolution.Failed(HostAttemptResult.Permanent(FailureReason.DomainNotFound, $"Domain {domain} does not exist (NXDOMAIN)", "5.1.2"));
        }

        if (response.HasError)
        {
            return TemporaryDnsFailure(domain, response.ErrorMessage);
        }

        var mxSecure = response.Header.IsAuthenticData;
        var mxRecords = response.Answers.MxRecords().ToList();
        if (mxRecords.Count == 1 && mxRecords[0].Exchange.Value is "." or "")
        {
            return NextHopResolution.Failed(HostAttemptResult.Permanent(FailureReason.NullMx, $"Domain {domain} accepts no mail (null MX, RFC 7505)", "5.1.10"));
        }

        if (mxRecords.Count == 0)
        {
            // RFC 5321 5.1: no MX means the domain itself is the implicit MX.
            var implicitMx = await ResolveAddressesAsync(domain, cancellationToken);
            return implicitMx.Failure is not null
                ? new NextHopResolution([], implicitMx.Failure)
                : NextHopResolution.Found([new NextHop(domain, port, implicitMx.Addresses, mxSecure && implicitMx.Authenticated)]);
        }

        var hosts = new List<NextHop>();
        HostAttemptResult? firstFailure = null;
        foreach (var mx in mxRecords.GroupBy(r => r.Preference).OrderBy(g => g.Key).SelectMany(g => g.OrderBy(_ => Random.Shared.Next())))
        {
            var name = mx.Exchange.Value.TrimEnd('.');
            var addresses = await ResolveAddressesAsync(name, cancellationToken);
            if (addresses.Failure is null)
            {
                hosts.Add(new NextHop(name, port, addresses.Addresses, mxSecure && addresses.Authenticated));
            }
            else
            {
                firstFailure ??= addresses.Failure;
            }
        }

        return hosts.Count > 0 ? NextHopResolution.Found(hosts) : new NextHopResolution([], firstFailure);
    }

    /// <returns>The addresses, or why there are none; Authenticated when the answers they came from carried the AD bit (DNSSEC).</returns>
    private async Task<(IReadOnlyList<IPAddress> Addresses, HostAttemptResult? Failure, bool Authenticated)> ResolveAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var a = await dns.QueryAsync(host, QueryType.A, QueryClass.IN, cancellationToken);
        var aaaa = await dns.QueryAsync(host, QueryType.AAAA, QueryClass.IN, cancellationToken);
        var v4 = a.Answers.ARecords().Select(r => r.Address).ToList();
        var v6 = aaaa.Answers.AaaaRecords().Select(r => r.Address).ToList();
        List<IPAddress> addresses = [.. v4, .. v6];
        if (addresses.Count > 0)
        {
            // Authenticated when every answer we take addresses from is: a failed AAAA lookup beside an authenticated
            // A answer gives nothing to connect to, and must not turn DANE off for the addresses that are used.
            return (addresses, null, (v4.Count == 0 || a.Header.IsAuthenticData) && (v6.Count == 0 || aaaa.Header.IsAuthenticData));
        }

        var transient = new[] { a, aaaa }.FirstOrDefault(r => r.HasError && r.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain);
        if (transient is not null)
        {
            return ([], HostAttemptResult.Transient(FailureReason.DnsTemporaryFailure, $"Address lookup of {host} failed: {transient.ErrorMessage}", "4.4.3"), false);
        }

        return ([], HostAttemptResult.Permanent(FailureReason.NoAddress, $"Host {host} has no address (A/AAAA)", "5.1.2"), false);
    }

    private static NextHopResolution TemporaryDnsFailure(string name, string detail) =>
        NextHopResolution.Failed(HostAttemptResult.Transient(FailureReason.DnsTemporaryFailure, $"DNS lookup of {name} failed: {detail}", "4.4.3"));
}
