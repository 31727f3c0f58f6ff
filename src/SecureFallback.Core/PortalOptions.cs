namespace SecureFallback.Core;

/// <summary>Settings under <c>SecureFallback:Portal</c>.</summary>
public sealed class PortalOptions
{
    public const string SectionName = "SecureFallback:Portal";

    /// <summary>Base URL written into mails (pickup notices); default the first of <c>Urls</c>.</summary>
    public string PublicUrl { get; set; } = "";

    /// <summary>The older name of <c>Branding:OrganizationName</c>, read only when that is empty.</summary>
    public string OrganizationName { get; set; } = "";

    /// <summary>
    /// Requests per minute one client network (an IPv4 address, an IPv6 /64) may make to the pages that take
    /// secrets (sign-in, registration, codes, pickup links, password reset, two-factor); more get 429. Default 30.
    /// </summary>
    public int CredentialRequestsPerMinute { get; set; } = 30;

    /// <summary>
    /// Who a recipient may answer from a held message on the portal: <c>off</c>, <c>sender</c> (default) or
    /// <c>sender-and-recipients</c> (also the original To/Cc addresses in the sender's own domain).
    /// </summary>
    public string Replies { get; set; } = "sender";

    /// <summary>The largest reply (text and attachments together) the portal takes, in bytes. Default 25 MB.</summary>
    public long ReplyMaxBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>Replies one portal account may send per hour; more are refused with 429. Default 10.</summary>
    public int RepliesPerHour { get; set; } = 10;

    /// <summary><see cref="Replies"/> as a value, or null when it is not one of the three names.</summary>
    public PortalReplyMode? ParsedReplies => Replies.Trim().ToLowerInvariant() switch
    {
        "off" => PortalReplyMode.Off,
        "sender" => PortalReplyMode.Sender,
        "sender-and-recipients" => PortalReplyMode.SenderAndRecipients,
        _ => null,
    };
}

/// <summary>Who a recipient may answer from the portal (<see cref="PortalOptions.Replies"/>).</summary>
public enum PortalReplyMode
{
    /// <summary>No reply form; replies are refused.</summary>
    Off,

    /// <summary>Only the sender (the original From address).</summary>
    Sender,

    /// <summary>The sender and the original To/Cc addresses in the sender's own domain.</summary>
    SenderAndRecipients,
}
