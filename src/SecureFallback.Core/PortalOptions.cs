namespace SecureFallback.Core;

/// <summary>Settings under <c>SecureFallback:Portal</c>.</summary>
public sealed class PortalOptions
{
    public const string SectionName = "SecureFallback:Portal";

    /// <summary>Base URL written into mails (pickup notices); default the first of <c>Urls</c>.</summary>
    public string PublicUrl { get; set; } = "";

    /// <summary>
    /// Organisation name shown in notices and on the portal, so recipients recognise who writes to them.
    /// Default: the domain of <c>SecureFallback:Notices:From</c>.
    /// </summary>
    public string OrganizationName { get; set; } = "";

    /// <summary>
    /// Requests per minute one client network (an IPv4 address, an IPv6 /64) may make to the pages that take
    /// secrets (sign-in, registration, codes, pickup links, password reset, two-factor); more get 429. Default 30.
    /// </summary>
    public int CredentialRequestsPerMinute { get; set; } = 30;
}
