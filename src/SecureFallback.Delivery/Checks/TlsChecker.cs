using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Policies;
using SecureFallback.Delivery.Policies;
using SecureFallback.Delivery.Routing;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Checks;

/// <summary>What one address of one next hop showed.</summary>
public sealed record HostCheck(
    string Host,
    int Port,
    string Address,
    string? Failure,
    string? Protocol,
    string? Cipher,
    string? Subject,
    string? Issuer,
    DateTime? NotBefore,
    DateTime? NotAfter,
    string? Sha256,
    bool ChainTrusted,
    IReadOnlyDictionary<TlsLevel, string?> LevelResults,
    int ValidatedTlsaRecords = 0);

/// <summary>The whole check of a domain or host: policy (with MTA-STS), next hops, and the verdict under the policy.</summary>
/// <param name="Target">What was checked.</param>
/// <param name="Policy">The effective decision: the domain's policy, raised by an enforced MTA-STS policy.</param>
/// <param name="ResolutionFailure">Why there are no next hops, if so.</param>
/// <param name="Hosts">Each address checked.</param>
/// <param name="MtaSts">The MTA-STS policy in force, if any.</param>
public sealed record TlsCheckReport(string Target, PolicyDecision Policy, string? ResolutionFailure, IReadOnlyList<HostCheck> Hosts, MtaStsPolicy? MtaSts = null)
{
    /// <summary>True when at least one host would take mail over TLS at the policy's level (and, under MTA-STS enforce, is a named MX).</summary>
    public bool MeetsPolicy => Hosts.Any(h => h.Failure is null && h.LevelResults[Policy.Level] is null
        && (MtaSts?.Mode != MtaStsMode.Enforce || MtaSts.AllowsMx(h.Host)));
}

/// <summary>Checks how mail to a domain or host would travel (used by <c>securefallback check-tls</c>).</summary>
public interface ITlsChecker
{
    /// <param name="target">A domain (its routes or MX are used) or <c>host:port</c>.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    Task<TlsCheckReport> CheckAsync(string target, CancellationToken cancellationToken);
}

/// <summary>
/// Connects to each next hop the way delivery does (EHLO, mandatory STARTTLS, the handshake), never sends mail
/// (QUIT right after), and judges the certificate under every level.
/// </summary>
internal sealed class TlsChecker(
    INextHopResolver resolver,
    TrustedRoots trustedRoots,
    DaneRecords dane,
    PolicyCatalog policies,
    MtaStsResolver mtaSts,
    IOptions<DeliveryOptions> options,
    TimeProvider timeProvider) : ITlsChecker
{
    public async Task<TlsCheckReport> CheckAsync(string target, CancellationToken cancellationToken)
    {
        var isHost = target.Contains(':', StringComparison.Ordinal) && RouteParser.TryParse(target, options.Value.Port, out _);
        NextHopResolution resolution;
        string domain;
        if (isHost)
        {
            RouteParser.TryParse(target, options.Value.Port, out var route);
            domain = route.Host;
            resolution = await resolver.ResolveHostAsync(route.Host, route.Port, cancellationToken);
        }
        else
        {
            domain = target.Trim().TrimEnd('.').ToLowerInvariant();
            resolution = await resolver.ResolveAsync(domain, cancellationToken);
        }

        var policy = (await policies.GetAsync(cancellationToken)).DomainPolicy(domain);
        var sts = isHost || resolution.Routed ? null : await mtaSts.GetAsync(domain, cancellationToken);
        if (sts?.Mode == MtaStsMode.Enforce && policy.Level < TlsLevel.Verify)
        {
            policy = policy with { Level = TlsLevel.Verify, Source = $"{policy.Source}; MTA-STS enforce (id {sts.PolicyId})" };
        }

        var hosts = new List<HostCheck>();
        foreach (var hop in resolution.Hosts)
        {
            foreach (var address in hop.Addresses.Take(2))
            {
                hosts.Add(await CheckHostAsync(hop, address, domain, cancellationToken));
            }
        }

        return new TlsCheckReport(target, policy, resolution.Failure?.Diagnostic, hosts, sts);
    }

    private async Task<HostCheck> CheckHostAsync(NextHop hop, IPAddress address, string domain, CancellationToken cancellationToken)
    {
        var verdict = await dane.ForAsync(hop, cancellationToken);
        var tlsa = verdict.Records;
        var check = new PeerCertificateCheck(trustedRoots.Certificates, timeProvider) { Tlsa = tlsa };
        // A host whose TLSA lookup failed is not used by delivery, so the check does not connect to it either.
        var (session, failure) = verdict.Unusable is { } unusable
            ? (null, unusable)
            : await SecureSmtpSession.OpenAsync(hop, address, options.Value, check, timeProvider, cancellationToken);
        var levels = Enum.GetValues<TlsLevel>().ToDictionary(
            level => level,
            level => failure is not null ? failure.Reason : check.Check(level, hop.HostName, domain) is { } unmet ? $"{unmet.Reason}: {unmet.Diagnostic}" : null);
        if (session is not null)
        {
            await session.DisposeAsync(); // QUIT: a check never sends mail
        }

        var certificate = check.PeerCertificate;
        return new HostCheck(
            hop.HostName,
            hop.Port,
            address.ToString(),
            failure is null ? null : $"{failure.Reason}: {failure.Diagnostic}",
            session?.Tls.Protocol,
            session?.Tls.Cipher,
            certificate?.Subject,
            certificate?.Issuer,
            certificate?.NotBefore.ToUniversalTime(),
            certificate?.NotAfter.ToUniversalTime(),
            certificate is null ? null : Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)),
            check.ChainTrusted,
            levels,
            tlsa.Count);
    }
}
