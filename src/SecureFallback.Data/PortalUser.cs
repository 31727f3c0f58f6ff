using Microsoft.AspNetCore.Identity;

namespace SecureFallback.Data;

/// <summary>
/// A recipient's portal account; its e-mail address is the one the pickup grants were issued for. An account without
/// a password is pending: a confirmation code was mailed but registration is not finished.
/// </summary>
public sealed class PortalUser : IdentityUser
{
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the last one-time code was mailed; limits how often anyone can make us mail this address.</summary>
    public DateTimeOffset? CodeSentAt { get; set; }
}
