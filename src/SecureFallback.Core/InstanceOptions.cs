namespace SecureFallback.Core;

/// <summary>
/// Settings that tell instances sharing one database apart: <c>SecureFallback:InstanceName</c> and
/// <c>SecureFallback:Roles</c>.
/// </summary>
public sealed class InstanceOptions
{
    public const string SectionName = "SecureFallback";

    /// <summary>
    /// Unique per instance on one database: it names the instance's claims on queued recipients, and an instance
    /// drops claims under its own name when it starts. Default: the host name.
    /// </summary>
    public string InstanceName { get; set; } = Environment.MachineName;

    /// <summary>
    /// What this instance does: a comma-separated list of <c>Intake</c>, <c>Delivery</c> and <c>Portal</c>,
    /// or <c>All</c> (default). Health and metrics endpoints are always served.
    /// </summary>
    public string Roles { get; set; } = "All";

    /// <summary>The parsed <see cref="Roles"/>; <c>null</c> when the setting names something unknown.</summary>
    public InstanceRoles? ParsedRoles => InstanceRolesParser.Parse(Roles);

    public bool Has(InstanceRoles role) => (ParsedRoles ?? InstanceRoles.All).HasFlag(role);
}

[Flags]
public enum InstanceRoles
{
    None = 0,

    /// <summary>The SMTP listener that takes mail from the organisation's servers.</summary>
    Intake = 1,

    /// <summary>The queue runner: delivery, pickup notices, DSNs, read receipts, expiry.</summary>
    Delivery = 2,

    /// <summary>The recipients' portal and the admin console.</summary>
    Portal = 4,

    All = Intake | Delivery | Portal,
}

internal static class InstanceRolesParser
{
    public static InstanceRoles? Parse(string? text)
    {
        var roles = InstanceRoles.None;
        foreach (var part in (text ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<InstanceRoles>(part, ignoreCase: true, out var role) || !Enum.IsDefined(role) || role == InstanceRoles.None)
            {
                return null;
            }

            roles |= role;
        }

        return roles == InstanceRoles.None ? null : roles;
    }
}
