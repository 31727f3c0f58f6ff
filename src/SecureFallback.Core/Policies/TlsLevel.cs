namespace SecureFallback.Core.Policies;

/// <summary>How strict the TLS of a delivery must be (Postfix's level names, which admins know).</summary>
public enum TlsLevel
{
    /// <summary>TLS 1.2+ required; the certificate is recorded, not checked (Exchange's RequireTLS rule).</summary>
    Encrypt = 0,

    /// <summary>TLS with a certificate that chains to a trusted CA and names the MX host.</summary>
    Verify = 1,

    /// <summary>Like <see cref="Verify"/>, but the name must be the recipient domain (or below it): the MX lookup is not trusted.</summary>
    Secure = 2,

    /// <summary>Only a certificate matching DNSSEC-validated TLSA records (RFC 7672) counts.</summary>
    DaneOnly = 3,
}

/// <summary>What happens when a delivery cannot meet its TLS level.</summary>
public enum FailureAction
{
    /// <summary>Hold the encrypted copy for the recipient to pick up at the portal (default).</summary>
    Pickup = 0,

    /// <summary>Return the message to the sender with 5.7.10 "encryption needed".</summary>
    Bounce = 1,

    /// <summary>Keep trying TLS for <c>RetryTlsFor</c>, then hold for pickup.</summary>
    RetryThenPickup = 2,

    /// <summary>Audit-only test mode: record the TLS failure, then deliver opportunistically (TLS if offered, else clear).</summary>
    DeliverPlain = 3,
}

/// <summary>The names used in settings, the console and the audit trail.</summary>
public static class PolicyNames
{
    public static string Of(TlsLevel level) => level switch
    {
        TlsLevel.Encrypt => "encrypt",
        TlsLevel.Verify => "verify",
        TlsLevel.Secure => "secure",
        _ => "dane-only",
    };

    public static string Of(FailureAction action) => action switch
    {
        FailureAction.Pickup => "pickup",
        FailureAction.Bounce => "bounce",
        FailureAction.RetryThenPickup => "retry-then-pickup",
        _ => "deliver-plain",
    };

    public static string Of(MtaStsMode mode) => mode switch
    {
        MtaStsMode.Enforce => "enforce",
        MtaStsMode.Testing => "testing",
        _ => "none",
    };

    /// <summary>The mode named exactly (RFC 8461 names are lower case, and policy files must use them as they are).</summary>
    public static bool TryParseMtaStsMode(string? text, out MtaStsMode mode)
    {
        foreach (var candidate in Enum.GetValues<MtaStsMode>())
        {
            if (string.Equals(Of(candidate), text, StringComparison.Ordinal))
            {
                mode = candidate;
                return true;
            }
        }

        mode = default;
        return false;
    }

    /// <summary>The mode stored under <paramref name="text"/>; <see cref="MtaStsMode.None"/> for anything else.</summary>
    public static MtaStsMode MtaStsModeOf(string text) => TryParseMtaStsMode(text, out var mode) ? mode : MtaStsMode.None;

    public static bool TryParseLevel(string? text, out TlsLevel level)
    {
        foreach (var candidate in Enum.GetValues<TlsLevel>())
        {
            if (string.Equals(Of(candidate), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                level = candidate;
                return true;
            }
        }

        level = default;
        return false;
    }

    public static bool TryParseAction(string? text, out FailureAction action)
    {
        foreach (var candidate in Enum.GetValues<FailureAction>())
        {
            if (string.Equals(Of(candidate), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                action = candidate;
                return true;
            }
        }

        action = default;
        return false;
    }
}
