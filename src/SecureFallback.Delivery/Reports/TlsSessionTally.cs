using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SecureFallback.Core.Reporting;
using SecureFallback.Delivery.Outcomes;

namespace SecureFallback.Delivery.Reports;

/// <summary>
/// Turns delivery rounds into TLS session counts (RFC 8460): one session per connection established to a host address
/// (its recipients at the domain share it; a later message on the same connection adds none), counted under the policy it was held to — <c>tlsa</c> where DANE applied,
/// else the domain's MTA-STS policy, else <c>no-policy-found</c>. Attempts that never reached TLS (connection
/// failures, DNS, content rules) and the opportunistic retries of content-free mail (already counted as the TLS
/// failure that caused them) are not sessions to report.
/// </summary>
internal static class TlsSessionTally
{
    private const int MaxCachedSources = 4096;

    private static readonly ConcurrentDictionary<IPAddress, string> Sources = new();

    public static IReadOnlyList<TlsSessionCount> Of(IEnumerable<MessageOutcome> outcomes)
    {
        var counts = new List<TlsSessionCount>();
        foreach (var outcome in outcomes.Where(o => o.Domain is not null))
        {
            // One session per TLS connection established: not again for a message sent on a connection opened for an
            // earlier one (Reused), nor per recipient when the recipients of one message were answered differently.
            var sessions = outcome.Attempts.Values.SelectMany(a => a)
                .Where(a => a.RequiredLevel is not null && !a.Reused)
                .DistinctBy(a => (a.Host, a.Address, a.Port, a.StartedAt));
            foreach (var session in sessions)
            {
                if (TlsRptResult.Of(session.Result.Reason, session.Tls is not null) is not { } result)
                {
                    continue;
                }

                var policy = session.Tlsa is { } tlsa
                    ? TlsRptPolicy.OfTlsa(session.Host, [.. tlsa.Select(r => $"{r.Usage} {r.Selector} {r.MatchingType} {Convert.ToHexStringLower(r.Data)}")])
                    : TlsRptPolicy.Of(outcome.Sts);
                counts.Add(new TlsSessionCount
                {
                    Day = DayOf(session.StartedAt),
                    PolicyDomain = outcome.Domain!,
                    PolicyKey = policy.Key,
                    Policy = policy.Serialize(),
                    ResultType = result,
                    SendingIp = SourceFor(session.Address),
                    ReceivingMxHost = session.Host,
                    ReceivingIp = session.Address?.ToString() ?? "",
                    SessionCount = 1,
                });
            }
        }

        return counts;
    }

    /// <summary>The UTC day of <paramref name="at"/> as stored, <c>yyyy-MM-dd</c>.</summary>
    public static string DayOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// Our source address toward <paramref name="remote"/>, as the kernel's routing picks it (a UDP "connect" sends
    /// nothing): the report's <c>sending-mta-ip</c>, without threading it through every connection.
    /// </summary>
    private static string SourceFor(IPAddress? remote)
    {
        if (remote is null)
        {
            return "";
        }

        if (Sources.Count > MaxCachedSources)
        {
            Sources.Clear();
        }

        return Sources.GetOrAdd(remote, static address =>
        {
            try
            {
                using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                socket.Connect(address, 25);
                return ((IPEndPoint)socket.LocalEndPoint!).Address.ToString();
            }
            catch (SocketException)
            {
                return "";
            }
        });
    }
}
