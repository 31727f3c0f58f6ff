using Microsoft.AspNetCore.Identity;

namespace SecureFallback.Data;

/// <summary>A recipient's portal account; its e-mail address is the one the pickup grants were issued for.</summary>
public sealed class PortalUser : IdentityUser
{
    public DateTimeOffset CreatedAt { get; set; }
}
