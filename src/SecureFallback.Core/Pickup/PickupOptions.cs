namespace SecureFallback.Core.Pickup;

/// <summary>Settings under <c>SecureFallback:Pickup</c>: holding messages that could not go over TLS.</summary>
public sealed class PickupOptions
{
    public const string SectionName = "SecureFallback:Pickup";

    /// <summary>
    /// Hold messages for secure pickup when TLS cannot be had (default true). False returns them to the sender with
    /// a 5.7.10 DSN instead ("encryption needed"), for installations without a reachable portal.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a held message can be picked up before it is destroyed. Default 30 days.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often expired holds are looked for. Default 1 minute.</summary>
    public TimeSpan ExpiryScanInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Every held message needs the sender's PIN at its first opening (default false). Domain policies
    /// (<c>Policies:&lt;domain&gt;:PickupPin</c>) and rules (<c>Action=pickup-with-pin</c>) ask for it case by case.
    /// </summary>
    public bool RequirePin { get; set; }

    /// <summary>Shortest <see cref="RetryTlsEvery"/>: probing a domain more often only loads its server.</summary>
    public static readonly TimeSpan MinRetryTlsEvery = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Held, unread copies are delivered by SMTP over TLS once the recipient's domain meets its level again
    /// (default true); false keeps every held copy in the portal until it is read or expires.
    /// </summary>
    public bool DeliverWhenTlsReturns { get; set; } = true;

    /// <summary>How often the domain of a held, unread copy is tried again over TLS. Default 6 hours; at least 5 minutes.</summary>
    public TimeSpan RetryTlsEvery { get; set; } = TimeSpan.FromHours(6);

    /// <summary>For how long after the hold TLS is tried again; null (the default) means the whole <see cref="Retention"/>.</summary>
    public TimeSpan? RetryTlsFor { get; set; }

    /// <summary>The settings' errors, each naming its setting; empty when they are valid.</summary>
    public IReadOnlyList<string> Errors()
    {
        var errors = new List<string>();
        if (Retention <= TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:Retention must be positive (e.g. 30.00:00:00).");
        }

        if (ExpiryScanInterval <= TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:ExpiryScanInterval must be positive (e.g. 00:01:00).");
        }

        if (RetryTlsEvery < MinRetryTlsEvery)
        {
            errors.Add($"{SectionName}:RetryTlsEvery must be at least 00:05:00 (it is {RetryTlsEvery}); the default is 06:00:00.");
        }

        if (RetryTlsFor is { } retryFor && (retryFor <= TimeSpan.Zero || retryFor > Retention))
        {
            errors.Add($"{SectionName}:RetryTlsFor must be positive and at most Retention ({Retention}); it is {retryFor}. Leave it unset to retry for the whole retention.");
        }

        return errors;
    }

    /// <summary>When held copies are tried again over TLS, as these settings say.</summary>
    public HeldTlsRetry TlsRetry => new(DeliverWhenTlsReturns, RetryTlsEvery, RetryTlsFor ?? Retention);
}
