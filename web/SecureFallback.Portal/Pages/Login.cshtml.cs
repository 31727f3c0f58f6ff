using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// Password sign-in; five wrong passwords lock the account for 15 minutes. The password alone never opens an account
/// with a second step: with an authenticator app the code follows (<c>/login/two-factor</c>); with passkeys only, the
/// account signs in with its passkey (<c>/login/passkey</c>), said only once the password was right.
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class LoginModel(UserManager<PortalUser> users, SignInManager<PortalUser> signIn) : PageModel
{
    public string? Email { get; private set; }

    public string? Error { get; private set; }

    /// <summary>The password was right, and the account's second step is a passkey: sign in with it.</summary>
    public bool UsePasskey { get; private set; }

    public string ReturnUrl { get; private set; } = "";

    public void OnGet(string? returnUrl) => ReturnUrl = returnUrl ?? "";

    public async Task<IActionResult> OnPostAsync(string email, string password, string? returnUrl)
    {
        (Email, ReturnUrl) = (email, returnUrl ?? "");
        // Only local paths: a crafted ReturnUrl must not send a recipient to another site after signing in.
        var next = !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/inbox";
        if (await users.FindByNameAsync(email ?? "") is { } user && !await users.GetTwoFactorEnabledAsync(user) && (await users.GetPasskeysAsync(user)).Count > 0)
        {
            // Identity knows only the authenticator app as a second step, and would sign this account in with the password alone.
            if ((await signIn.CheckPasswordSignInAsync(user, password ?? "", lockoutOnFailure: true)).Succeeded)
            {
                UsePasskey = true;
                return Page();
            }
        }
        else
        {
            var result = await signIn.PasswordSignInAsync(email ?? "", password ?? "", isPersistent: false, lockoutOnFailure: true);
            if (result.Succeeded)
            {
                return Redirect(next);
            }

            if (result.RequiresTwoFactor)
            {
                return Redirect("/login/two-factor?returnUrl=" + Uri.EscapeDataString(next));
            }
        }

        // One answer for an unknown address, a wrong password and a locked account, so it never tells which exists.
        Error = this.Text("Login.Wrong");
        return Page();
    }
}
