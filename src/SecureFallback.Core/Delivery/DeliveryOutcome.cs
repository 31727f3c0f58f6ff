namespace SecureFallback.Core.Delivery;

/// <summary>Classified result of a delivery attempt for one recipient. Expected results are values, not exceptions.</summary>
public enum DeliveryOutcome
{
    /// <summary>The next hop accepted the recipient over TLS.</summary>
    Delivered = 0,

    /// <summary>The next hop did not advertise STARTTLS.</summary>
    TlsUnavailable = 1,

    /// <summary>STARTTLS was refused or the TLS handshake failed.</summary>
    TlsFailed = 2,

    /// <summary>Connection failure, time-out, DNS trouble or a 4xx reply: retry on the schedule.</summary>
    Transient = 3,

    /// <summary>A 5xx reply, null MX or a domain that does not exist.</summary>
    Permanent = 4,
}

/// <summary>Helpers on <see cref="DeliveryOutcome"/>.</summary>
public static class DeliveryOutcomeExtensions
{
    /// <summary>True for the outcomes where TLS could not be had, the ones that must never fall back to clear text.</summary>
    public static bool IsTlsFailure(this DeliveryOutcome outcome) =>
        outcome is DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed;
}
