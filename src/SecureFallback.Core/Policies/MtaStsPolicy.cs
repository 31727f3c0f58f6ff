namespace SecureFallback.Core.Policies;

/// <summary>The <c>mode</c> of an MTA-STS policy (RFC 8461 3.2); stored and shown by its lower-case name.</summary>
public enum MtaStsMode
{
    /// <summary><c>none</c>: the domain withdrew its policy; nothing is checked.</summary>
    None = 0,

    /// <summary><c>testing</c>: deliver anyway, and note what enforcing would have failed.</summary>
    Testing = 1,

    /// <summary><c>enforce</c>: only named MX hosts, with a WebPKI-valid certificate for the host name.</summary>
    Enforce = 2,
}

/// <summary>
/// A recipient domain's MTA-STS policy (RFC 8461) as last fetched, kept in the database so that a restart does not
/// drop protection. It is fetched again once half its <c>max_age</c> has passed, and stays in force until a fetch
/// replaces it — even past <see cref="ExpiresAt"/> while fetches fail or the TXT record vanishes, so that blocking the
/// policy host cannot make an <c>enforce</c> policy lapse (RFC 8461 5.1, 10.2).
/// </summary>
public sealed class MtaStsPolicy
{
    public string Domain { get; set; } = "";

    /// <summary>The <c>id</c> of the <c>_mta-sts</c> TXT record the policy was fetched for; a new id triggers a re-fetch.</summary>
    public string PolicyId { get; set; } = "";

    /// <summary><c>enforce</c>, <c>testing</c> or <c>none</c>.</summary>
    public MtaStsMode Mode { get; set; }

    /// <summary>The <c>mx:</c> patterns, space-separated (<c>mail.example.com *.example.net</c>).</summary>
    public string MxPatterns { get; set; } = "";

    public DateTimeOffset FetchedAt { get; set; }

    /// <summary>Fetch time plus <c>max_age</c>: the policy is refreshed halfway there.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>RFC 8461 4.1: a pattern matches the host exactly, or <c>*.</c> matches exactly one leftmost label.</summary>
    public bool AllowsMx(string host)
    {
        host = host.TrimEnd('.').ToLowerInvariant();
        foreach (var pattern in MxPatterns.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                var dot = host.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0 && host[(dot + 1)..] == pattern[2..])
                {
                    return true;
                }
            }
            else if (host == pattern)
            {
                return true;
            }
        }

        return false;
    }
}
