using System.Net;
using System.Net.Sockets;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// Whether an address is globally routable, so a URL taken from someone else's DNS (a TLS report's <c>https:</c>
/// rua) cannot make us POST to our own network: loopback, private (RFC 1918), link-local, shared (CGNAT,
/// 100.64.0.0/10), unique-local (fc00::/7), unspecified, multicast and other special-use ranges are not.
/// </summary>
internal static class PublicAddress
{
    public static bool IsGloballyRoutable(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 or >= 224 // this network, private, loopback, multicast and reserved
                || (b[0] == 100 && (b[1] & 0xC0) == 64) // shared address space (CGNAT)
                || (b[0] == 169 && b[1] == 254) // link-local
                || (b[0] == 172 && (b[1] & 0xF0) == 16) // private
                || (b[0] == 192 && b[1] == 168) // private
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2) // IETF protocol assignments, TEST-NET-1
                || (b[0] == 198 && (b[1] & 0xFE) == 18) // benchmarking
                || (b[0] == 198 && b[1] == 51 && b[2] == 100) // TEST-NET-2
                || (b[0] == 203 && b[1] == 0 && b[2] == 113)); // TEST-NET-3
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        var v6 = address.GetAddressBytes();
        return !(address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback)
            || address.IsIPv6Multicast || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal
            || (v6[0] & 0xFE) == 0xFC // unique-local fc00::/7
            || (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0D && v6[3] == 0xB8)); // documentation 2001:db8::/32
    }
}
