using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Filters;
using SecureFallback.Core;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>
/// Passkeys (WebAuthn, through Identity's passkey handler) bound to the portal's public address
/// (<c>SecureFallback:Portal:PublicUrl</c>): its host is the relying party, its origin the only one accepted.
/// </summary>
public static class PortalPasskeys
{
    /// <summary>The script-free policy of every page.</summary>
    public const string Csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>The passkey pages' policy: our own /passkey.js, and its requests to our own origin; nothing inline.</summary>
    public const string CspWithOwnScript = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>
    /// Browsers offer WebAuthn only to a domain name (never an IP address) in a secure context: https, or
    /// http on localhost.
    /// </summary>
    public static bool AreAvailable(PortalOptions portal) =>
        Uri.TryCreate(portal.PublicUrl, UriKind.Absolute, out var url)
        && !IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out _)
        && (url.Scheme == Uri.UriSchemeHttps || url.IsLoopback);

    public static void Configure(IdentityPasskeyOptions options, PortalOptions portal)
    {
        if (!AreAvailable(portal))
        {
            return;
        }

        var url = new Uri(portal.PublicUrl);
        var origin = url.GetLeftPart(UriPartial.Authority);
        options.ServerDomain = url.IdnHost;
        options.UserVerificationRequirement = "required"; // a passkey is then both steps: possession and PIN or biometrics
        options.ResidentKeyRequirement = "required"; // sign-in without typing the address
        options.ValidateOrigin = context => ValueTask.FromResult(!context.CrossOrigin && string.Equals(context.Origin, origin, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>True when the account has a second step: an authenticator app or a passkey.</summary>
    public static async Task<bool> HasSecondStepAsync(UserManager<PortalUser> users, PortalUser user) =>
        await users.GetTwoFactorEnabledAsync(user) || (await users.GetPasskeysAsync(user)).Count > 0;

    /// <summary>
    /// True when <paramref name="session"/> may add, remove or reset a second step of the account: it passed one
    /// (<see cref="SecondStepClaim"/>), or the account has none yet and this is its first. A session from the password
    /// alone must never replace the step that guards the account, or the password would be all an attacker needs.
    /// </summary>
    public static async Task<bool> MayChangeSecondStepAsync(UserManager<PortalUser> users, PortalUser user, ClaimsPrincipal session) =>
        SecondStepClaim.IsIn(session) || !await HasSecondStepAsync(users, user);

    /// <summary>
    /// True when removing a second step would leave an admin account with none: refused, since the session's "passed
    /// a second step" (<see cref="SecondStepClaim"/>) would outlive it and the console would open on the password alone.
    /// <paramref name="removingTotp"/> is the authenticator app; <paramref name="removingPasskeys"/> the passkeys going.
    /// </summary>
    public static async Task<bool> WouldLeaveAdminWithoutSecondStepAsync(UserManager<PortalUser> users, PortalUser user, bool removingTotp, int removingPasskeys) =>
        await users.IsInRoleAsync(user, PortalRoles.Admin)
        && !(!removingTotp && await users.GetTwoFactorEnabledAsync(user))
        && (await users.GetPasskeysAsync(user)).Count - removingPasskeys <= 0;

    /// <summary>
    /// True when a verified passkey may sign <paramref name="user"/> in: a confirmed account (Identity's sign-in rules)
    /// that was not disowned. The lockout from wrong passwords does not apply: it guards the password, and whoever
    /// types 5 wrong ones every 15 minutes must not keep a passkey's owner out.
    /// </summary>
    public static async Task<bool> MaySignInWithPasskeyAsync(SignInManager<PortalUser> signIn, PortalUser user) =>
        user.DisownedAt is null && user.EmailConfirmed && await signIn.CanSignInAsync(user);

    /// <summary>
    /// Mails the account's address that its second step changed (<see cref="AccountMailPurpose.SecondStepChanged"/>):
    /// whoever holds the password can add a first one, so the owner must hear of every change.
    /// </summary>
    public static Task MailChangeAsync(IAccountMail mail, PortalUser user, string change, CancellationToken cancellationToken) =>
        mail.SendCodeAsync(user.Email!, AccountMailPurpose.SecondStepChanged, change, TimeSpan.Zero, cancellationToken);

    /// <summary>The script for the passkey pages, served from our origin as /passkey.js.</summary>
    public static string Script { get; } = ReadScript();

    private static string ReadScript()
    {
        using var stream = typeof(PortalPasskeys).Assembly.GetManifestResourceStream("SecureFallback.Portal.passkey.js")
            ?? throw new InvalidOperationException("passkey.js is not embedded in the portal assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>Marks a page that runs /passkey.js: its response carries <see cref="PortalPasskeys.CspWithOwnScript"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class PasskeyScriptAttribute : ResultFilterAttribute
{
    public override void OnResultExecuting(ResultExecutingContext context) =>
        context.HttpContext.Response.Headers.ContentSecurityPolicy = PortalPasskeys.CspWithOwnScript;
}
