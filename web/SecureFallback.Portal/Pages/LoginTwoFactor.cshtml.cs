using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>Second sign-in step for accounts with two-step sign-in on: an authenticator code or a recovery code.</summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class LoginTwoFactorModel(SignInManager<PortalUser> signIn) : PageModel
{
    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync() =>
        await signIn.GetTwoFactorAuthenticationUserAsync() is null ? Redirect("/login") : Page();

    public async Task<IActionResult> OnPostAsync(string code, string? returnUrl)
    {
        if (await signIn.GetTwoFactorAuthenticationUserAsync() is null)
        {
            return Redirect("/login");
        }

        var typed = new string((code ?? "").Where(c => !char.IsWhiteSpace(c)).ToArray());
        var result = typed.Length == 6 && typed.All(char.IsAsciiDigit)
            ? await signIn.TwoFactorAuthenticatorSignInAsync(typed, isPersistent: false, rememberClient: false)
            : await signIn.TwoFactorRecoveryCodeSignInAsync(typed);
        if (result.Succeeded)
        {
            return Redirect(!string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/inbox");
        }

        Error = result.IsLockedOut
            ? this.Text("TwoFactor.Locked")
            : this.Text("TwoFactor.Wrong");
        return Page();
    }
}
