using Microsoft.AspNetCore.Identity;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>
/// An account's e-mail is its user name (the address as the intake queued it). Identity's own e-mail check
/// (<c>RequireUniqueEmail</c>) is off because it refuses valid RFC 5321 mailboxes such as <c>"a@b"@x.test</c>;
/// this rule keeps e-mails unique instead, since user names are unique and the two must be equal.
/// </summary>
internal sealed class AddressIsUserNameValidator : IUserValidator<PortalUser>
{
    public async Task<IdentityResult> ValidateAsync(UserManager<PortalUser> manager, PortalUser user)
    {
        var email = await manager.GetEmailAsync(user);
        var userName = await manager.GetUserNameAsync(user);
        return email is null || string.Equals(manager.NormalizeEmail(email), manager.NormalizeName(userName), StringComparison.Ordinal)
            ? IdentityResult.Success
            : IdentityResult.Failed(new IdentityError { Code = "AddressIsUserName", Description = "An account's e-mail address must be its user name." });
    }
}
