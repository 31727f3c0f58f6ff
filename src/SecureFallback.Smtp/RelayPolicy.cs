using System.Net;
using Microsoft.Extensions.Options;

namespace SecureFallback.Smtp;

/// <summary>Decides whether a client may relay without authenticating: only from <c>Intake:AllowedNetworks</c>.</summary>
internal sealed class RelayPolicy(IOptions<IntakeOptions> options)
{
    private readonly IPNetwork[] _networks = options.Value.AllowedNetworks.Select(n => IPNetwork.Parse(n)).ToArray();

    public bool IsAllowedNetwork(IPAddress address)
    {
        var candidate = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return _networks.Any(n => n.Contains(candidate));
    }
}
