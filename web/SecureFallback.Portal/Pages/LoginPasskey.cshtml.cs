using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// Sign-in with a passkey alone (user verification required, so it counts as two steps). The account's rules hold as
/// for a password, but for the lockout from wrong passwords (<see cref="PortalPasskeys.MaySignInWithPasskeyAsync"/>):
/// disowned or unconfirmed accounts are refused with the same answer as an unknown passkey.
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
[PasskeyScript]
public sealed class LoginPasskeyModel(UserManager<PortalUser> users, SignInManager<PortalUser> signIn, IOptions<PortalOptions> portal) : PageModel
{
    public bool Available => PortalPasskeys.AreAvailable(portal.Value);

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    /// <summary>Step one, fetched by /passkey.js: WebAuthn request options for any of this portal's passkeys.</summary>
    public async Task<IActionResult> OnPostOptionsAsync() =>
        Available ? Content(await signIn.MakePasskeyRequestOptionsAsync(null), "application/json") : NotFound();

    public async Task<IActionResult> OnPostAsync(string credential, string? returnUrl)
    {
        PasskeyAssertionResult<PortalUser>? assertion = null;
        if (Available && !string.IsNullOrEmpty(credential))
        {
            try
            {
                assertion = await signIn.PerformPasskeyAssertionAsync(credential);
            }
            catch (InvalidOperationException)
            {
                // no sign-in under way in this browser (the challenge cookie is gone): the same answer as a bad passkey
            }
        }

        if (assertion is not { Succeeded: true } || !await PortalPasskeys.MaySignInWithPasskeyAsync(signIn, assertion.User))
        {
            Error = this.Text("LoginPasskey.Failed");
            return Page();
        }

        var user = assertion.User;
        await users.AddOrUpdatePasskeyAsync(user, assertion.Passkey); // the new signature counter
        await users.ResetAccessFailedCountAsync(user);
        await signIn.SignInWithClaimsAsync(user, isPersistent: false, [SecondStepClaim.Create(), new Claim(ClaimTypes.AuthenticationMethod, "passkey")]);
        return Redirect(!string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/inbox");
    }
}
