namespace SecureFallback.Core.Policies;

/// <summary>
/// The TLS policy for a recipient domain: <c>default</c> (everything else), an exact domain, or <c>*.example.com</c>
/// (every domain below example.com). Stored in the database; seeded from settings, edited in the admin console.
/// </summary>
public sealed class TlsPolicy
{
    /// <summary>The pattern the default policy is stored under.</summary>
    public const string DefaultPattern = "default";

    /// <summary><c>default</c>, <c>example.com</c> or <c>*.example.com</c>, lower case.</summary>
    public string Pattern { get; set; } = "";

    public TlsLevel Level { get; set; }

    public FailureAction OnFailure { get; set; }

    /// <summary>For <see cref="FailureAction.RetryThenPickup"/>: how long to keep trying TLS before the hold.</summary>
    public TimeSpan RetryTlsFor { get; set; } = TimeSpan.FromHours(4);

    /// <summary>Where it came from: <c>settings</c> (re-seeded at each start) or <c>console</c>.</summary>
    public string Source { get; set; } = "settings";

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// Whether a <c>TLS-Required: No</c> header (RFC 8689 5) may lower this domain's level (and a content rule's) to
    /// delivery even without TLS. Off by default: local policy wins over what a relay client writes in a header.
    /// </summary>
    public bool HonourTlsRequiredNo { get; set; }

    /// <summary>
    /// Whether a message held for pickup to this domain needs the sender's PIN at its first opening
    /// (<c>SecureFallback:Policies:&lt;domain&gt;:PickupPin</c>).
    /// </summary>
    public bool PickupPin { get; set; }

    /// <summary>True for <c>default</c>, a domain with a dot (<c>partner.example</c>) or <c>*.domain</c>.</summary>
    public static bool IsValidPattern(string pattern)
    {
        if (pattern.Equals(DefaultPattern, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var domain = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern[2..] : pattern;
        return domain.Contains('.', StringComparison.Ordinal) && Uri.CheckHostName(domain) == UriHostNameType.Dns;
    }
}

/// <summary>What was decided for one recipient before sending: the level to meet and what to do otherwise, and why.</summary>
/// <param name="Level">The TLS level the delivery must meet.</param>
/// <param name="OnFailure">What happens when it cannot.</param>
/// <param name="RetryTlsFor">For retry-then-pickup.</param>
/// <param name="ForcePickup">A rule sends the message to pickup even when TLS works.</param>
/// <param name="Source">For the audit trail, e.g. <c>policy *.partner.test</c> or <c>rule 2 (subject contains [secure])</c>.</param>
/// <param name="RequireTls">REQUIRETLS (RFC 8689): the next hop must also advertise REQUIRETLS.</param>
/// <param name="HonourTlsRequiredNo">The domain's policy lets a <c>TLS-Required: No</c> header lower the level.</param>
/// <param name="RequirePin">
/// A copy held for pickup opens only with a PIN the sender passes on out of band: the domain's <c>PickupPin</c>, a rule
/// <c>pickup-with-pin</c> or the global <c>Pickup:RequirePin</c> asked for it.
/// </param>
public sealed record PolicyDecision(TlsLevel Level, FailureAction OnFailure, TimeSpan RetryTlsFor, bool ForcePickup, string Source, bool RequireTls = false, bool HonourTlsRequiredNo = false, bool RequirePin = false)
{
    /// <summary>The built-in default: encrypt, and pickup when TLS cannot be had.</summary>
    public static PolicyDecision Default { get; } = new(TlsLevel.Encrypt, FailureAction.Pickup, TimeSpan.FromHours(4), false, "policy default");
}
