using System.Net;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Policies;

namespace SecureFallback.Delivery.Routing;

/// <summary>A host to try, in order, with its addresses.</summary>
/// <param name="HostName">The host's name (or an address literal).</param>
/// <param name="Port">The SMTP port.</param>
/// <param name="Addresses">Its addresses, in order.</param>
/// <param name="DnssecSecure">
/// The MX answer that named the host (or the static route, the admin's word) and its address answers were all
/// DNSSEC-authenticated (AD bit): only then do its TLSA records count (RFC 7672 2.2).
/// </param>
internal sealed record NextHop(string HostName, int Port, IReadOnlyList<IPAddress> Addresses, bool DnssecSecure = false);

/// <summary>The next hops of a domain, or why there are none.</summary>
/// <param name="Hosts">The hosts in order.</param>
/// <param name="Failure">Why there are none.</param>
/// <param name="Routed">True when a static route, not DNS, named the host (MTA-STS then does not apply).</param>
internal sealed record NextHopResolution(IReadOnlyList<NextHop> Hosts, HostAttemptResult? Failure, bool Routed = false)
{
    public static NextHopResolution Found(IReadOnlyList<NextHop> hosts) => new(hosts, null);

    public static NextHopResolution Failed(HostAttemptResult failure) => new([], failure);

    /// <summary>Only the hosts <paramref name="requirement"/> allows, or its failure when it allows none.</summary>
    public NextHopResolution Allowing(TlsRequirement requirement) => requirement.MxFailure is { } none
        ? Failed(none)
        : this with { Hosts = [.. Hosts.Where(h => requirement.AllowedMx.Contains(h.HostName))] };
}

/// <summary>Finds where mail for a domain goes.</summary>
internal interface INextHopResolver
{
    Task<NextHopResolution> ResolveAsync(string domain, CancellationToken cancellationToken);

    /// <summary>One given host (a route target, or what an admin names to <c>check-tls</c>).</summary>
    Task<NextHopResolution> ResolveHostAsync(string host, int port, CancellationToken cancellationToken);
}
