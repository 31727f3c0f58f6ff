namespace SecureFallback.Core.Messages;

/// <summary>
/// One revocation or extension of a held copy: the audit record of who changed the hold, when, and to what.
/// Never message content.
/// </summary>
public sealed class HoldAction
{
    /// <summary>Stored length of <see cref="By"/>.</summary>
    public const int ByLength = 256;

    public long Id { get; set; }

    public long RecipientId { get; set; }

    public Guid MessageId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary><c>revoke</c> or <c>extend</c>.</summary>
    public string Action { get; set; } = "";

    /// <summary>Who: <c>sender (held-DSN link)</c>, <c>admin NAME</c>, or <c>command line</c>.</summary>
    public string By { get; set; } = "";

    /// <summary>For an extension: the hold's new end.</summary>
    public DateTimeOffset? HoldUntil { get; set; }
}
