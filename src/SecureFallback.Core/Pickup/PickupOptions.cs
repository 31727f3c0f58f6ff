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
}
