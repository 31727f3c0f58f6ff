using System.Security.Cryptography;
using System.Text;
using SecureFallback.Core.Policies;

namespace SecureFallback.Core.Reporting;

/// <summary>
/// The policy a session was held to, as a TLS report names it (RFC 8460 4.3 <c>policy</c>): <c>sts</c> with the
/// MTA-STS policy's lines and <c>mx</c> patterns, <c>tlsa</c> with the TLSA records of one MX host, or
/// <c>no-policy-found</c>.
/// </summary>
/// <param name="Type"><c>sts</c>, <c>tlsa</c> or <c>no-policy-found</c>.</param>
/// <param name="Strings">The policy text, one line or record per entry (none for <c>no-policy-found</c>).</param>
/// <param name="MxHosts">For <c>sts</c> the <c>mx</c> patterns, for <c>tlsa</c> the MX host; else none.</param>
public sealed record TlsRptPolicy(string Type, IReadOnlyList<string> Strings, IReadOnlyList<string> MxHosts)
{
    public const string NoPolicyFound = "no-policy-found";
    public const string Sts = "sts";
    public const string Tlsa = "tlsa";

    /// <summary>No MTA-STS or DANE policy applied.</summary>
    public static TlsRptPolicy None { get; } = new(NoPolicyFound, [], []);

    /// <summary>The MTA-STS policy in force (<c>mode: none</c> counts as no policy).</summary>
    public static TlsRptPolicy Of(MtaStsPolicy? sts)
    {
        if (sts is null || sts.Mode == MtaStsMode.None)
        {
            return None;
        }

        var patterns = sts.MxPatterns.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var maxAge = (long)(sts.ExpiresAt - sts.FetchedAt).TotalSeconds;
        string[] lines = ["version: STSv1", $"mode: {PolicyNames.Of(sts.Mode)}", .. patterns.Select(p => $"mx: {p}"), $"max_age: {maxAge}"];
        return new(Sts, lines, patterns);
    }

    /// <summary>The DANE policy of <paramref name="mxHost"/>: its usable TLSA records in presentation form.</summary>
    public static TlsRptPolicy OfTlsa(string mxHost, IReadOnlyList<string> records) => new(Tlsa, records, [mxHost]);

    /// <summary>A stable key of type, text and hosts, so rows of one policy add up (SHA-256, hex).</summary>
    public string Key => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Serialize())));

    /// <summary>The strings and hosts as one stored text: lines of strings, an empty line, lines of hosts.</summary>
    public string Serialize() => $"{Type}\n{string.Join('\n', Strings)}\n\n{string.Join('\n', MxHosts)}";

    /// <summary>The inverse of <see cref="Serialize"/>.</summary>
    /// <exception cref="FormatException">The text was not made by <see cref="Serialize"/>.</exception>
    public static TlsRptPolicy Deserialize(string text)
    {
        var type = text.Split('\n', 2) is [var t, var rest] ? (t, rest) : throw new FormatException("not a stored TLS-RPT policy");
        var parts = type.rest.Split("\n\n", 2);
        static string[] Lines(string part) => part.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return new(type.t, Lines(parts[0]), parts.Length > 1 ? Lines(parts[1]) : []);
    }

    public bool Equals(TlsRptPolicy? other) => other is not null && Serialize() == other.Serialize();

    public override int GetHashCode() => Serialize().GetHashCode(StringComparison.Ordinal);
}
