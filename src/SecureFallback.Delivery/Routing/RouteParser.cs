using System.Globalization;

namespace SecureFallback.Delivery.Routing;

/// <summary>Parses a static route value: <c>host</c>, <c>host:port</c>, <c>ip:port</c> or <c>[v6]:port</c>.</summary>
internal static class RouteParser
{
    public static bool TryParse(string value, int defaultPort, out (string Host, int Port) route)
    {
        route = default;
        value = value.Trim();
        if (value.Length == 0)
        {
            return false;
        }

        string host;
        var port = defaultPort;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']');
            if (close < 0)
            {
                return false;
            }

            host = value[1..close];
            var rest = value[(close + 1)..];
            if (rest.Length > 0 && (!rest.StartsWith(':') || !TryPort(rest[1..], out port)))
            {
                return false;
            }
        }
        else
        {
            var colon = value.LastIndexOf(':');
            if (colon >= 0 && value.IndexOf(':') == colon)
            {
                host = value[..colon];
                if (!TryPort(value[(colon + 1)..], out port))
                {
                    return false;
                }
            }
            else if (colon >= 0)
            {
                host = value; // a bare IPv6 address
            }
            else
            {
                host = value;
            }
        }

        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            return false;
        }

        route = (host, port);
        return true;
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
}
