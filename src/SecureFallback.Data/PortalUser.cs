using Microsoft.AspNetCore.Identity;

namespace SecureFallback.Data;

/// <summary>
/// A recipient's portal account; its e-mail address is the one the pickup grants were issued for. An account without
/// a password is pending: a confirmation code was mailed but registration is not finished.
/// </summary>
public sealed class PortalUser : IdentityUser
{
    /// <summary>When the row was made: for a pending account, when its first registration code was asked for.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// When the password was first set (registration finished); null while pending. "This was not me" compares this,
    /// not <see cref="CreatedAt"/>: asking for a code early must not make a later registration look older than a notice.
    /// </summary>
    public DateTimeOffset? RegisteredAt { get; set; }

    /// <summary>When the last one-time code was mailed; limits how often anyone can make us mail this address.</summary>
    public DateTimeOffset? CodeSentAt { get; set; }

    /// <summary>The pickup grant whose link or reference code created this account; null for other ways in.</summary>
    public Guid? CreatedByGrantId { get; set; }

    /// <summary>
    /// When the owner of the address reported this account as not theirs ("this was not me"): it is locked for
    /// good, and only an administrator can deal with it. Password reset codes are no longer mailed for it.
    /// </summary>
    public DateTimeOffset? DisownedAt { get; set; }

    /// <summary>True while the administrators are still to be told of the report (an outbox flag).</summary>
    public bool DisownReportPending { get; set; }
}
