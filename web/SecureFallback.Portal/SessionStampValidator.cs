using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>
/// Checks every signed-in request against the account with one indexed read: the session's security stamp must still
/// be the account's, or the session ends at this request (signed out, as Identity's validator does: "this was not
/// me", a passkey or password change, a reset). Identity's own validator, run at every request, also rebuilt the whole
/// principal (claims, roles: several queries) and re-issued the cookie each time; that now happens only when the
/// account changed since the cookie was issued (its <c>ConcurrencyStamp</c>, carried in the cookie
/// as <see cref="AccountVersionClaim"/>): a role added, say, still reaches the session at its next request.
/// Identity's own validator and its sign-in manager (a user manager, token providers, data protectors, metrics) are
/// made only then, or to end a session, not for every request.
/// </summary>
public sealed class SessionStampValidator(
    IServiceProvider services,
    SecureFallbackDbContext db,
    IOptions<IdentityOptions> identity) : ISecurityStampValidator
{
    /// <summary>The claim carrying the account's concurrency stamp as it was when the principal was made.</summary>
    public const string AccountVersionClaim = "securefallback.account_version";

    private static readonly PerModel<Func<SecureFallbackDbContext, string, CancellationToken, Task<AccountStamps?>>> StampsOf = new(() =>
        EF.CompileAsyncQuery((SecureFallbackDbContext db, string id, CancellationToken _) =>
            db.Users.Where(u => u.Id == id).Select(u => new AccountStamps(u.SecurityStamp, u.ConcurrencyStamp)).FirstOrDefault()));

    public async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var claims = identity.Value.ClaimsIdentity;
        if (context.Principal is not { } principal || principal.FindFirstValue(claims.UserIdClaimType) is not { } userId)
        {
            await IdentityValidator().ValidateAsync(context); // not a principal of ours: Identity's full check
            return;
        }

        var stamps = await StampsOf.For(db)(db, userId, context.HttpContext.RequestAborted);
        // An account without a stamp proves nothing (Identity's own validator refuses it too).
        if (stamps?.SecurityStamp is null || !string.Equals(stamps.SecurityStamp, principal.FindFirstValue(claims.SecurityStampClaimType), StringComparison.Ordinal))
        {
            context.RejectPrincipal();
            await services.GetRequiredService<SignInManager<PortalUser>>().SignOutAsync();
            await context.HttpContext.SignOutAsync(IdentityConstants.TwoFactorRememberMeScheme);
            return;
        }

        if (!string.Equals(stamps.ConcurrencyStamp, principal.FindFirstValue(AccountVersionClaim), StringComparison.Ordinal))
        {
            await IdentityValidator().ValidateAsync(context); // the account changed: Identity rebuilds the principal and re-issues the cookie
        }
    }

    private SecurityStampValidator<PortalUser> IdentityValidator() => ActivatorUtilities.CreateInstance<SecurityStampValidator<PortalUser>>(services);

    private sealed record AccountStamps(string? SecurityStamp, string? ConcurrencyStamp);
}

/// <summary>Identity's principal, plus the account's concurrency stamp (<see cref="SessionStampValidator.AccountVersionClaim"/>).</summary>
public sealed class PortalClaimsPrincipalFactory(UserManager<PortalUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<PortalUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PortalUser user)
    {
        var claims = await base.GenerateClaimsAsync(user);
        if (user.ConcurrencyStamp is { } version)
        {
            claims.AddClaim(new Claim(SessionStampValidator.AccountVersionClaim, version));
        }

        return claims;
    }
}
