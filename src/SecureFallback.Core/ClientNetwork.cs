using System.Net;
using System.Net.Sockets;

namespace SecureFallback.Core;

/// <summary>
/// The network a client is counted by in rate limits. An IPv6 client gets a whole /64 (one LAN, often one customer)
/// and can pick any address in it, so counting per address would let it step around every limit; IPv4 addresses are
/// scarce and stay one by one. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, as dual-stack sockets report IPv4
/// clients) counts as its IPv4 address.
/// </summary>
public static class ClientNetwork
{
    /// <summary>The rate-limit key of <paramref name="address"/>: "a.b.c.d" for IPv4, "xxxx:xxxx:xxxx:xxxx::/64" for IPv6.</summary>
    public static string KeyOf(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    /// <summary>
    /// The network a portal reader is reported (and remembered) by: the IPv6 /64 of <see cref="KeyOf"/>, and for
    /// IPv4 the /24. A home or mobile connection is handed other addresses of its provider's block from day to day
    /// (DHCP, carrier-grade NAT pools), mostly within one /24, so a /24 tells "the same place again" from "somewhere
    /// else" without a notice for every reshuffle; and the full address, which identifies one subscriber, is never
    /// stored.
    /// </summary>
    public static string ReadingNetworkOf(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return KeyOf(address);
        }

        var bytes = address.GetAddressBytes();
        return $"{bytes[0]}.{bytes[1]}.{bytes[2]}.0/24";
    }
}
