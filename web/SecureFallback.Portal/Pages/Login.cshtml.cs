using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>Password sign-in (then the second step when it is on); five wrong passwords lock the account for 15 minutes.</summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class LoginModel(SignInManager<PortalUser> signIn) : PageModel
{
    public string? Email { get; private set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string email, string password, string? returnUrl)
    {
        Email = email;
        var result = await signIn.PasswordSignInAsync(email ?? "", password ?? "", isPersistent: false, lockoutOnFailure: true);
        // Only local paths: a crafted ReturnUrl must not send a recipient to another site after signing in.
        var next = !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/inbox";
        if (result.Succeeded)
        {
            return Redirect(next);
        }

        if (result.RequiresTwoFactor)
        {
            return Redirect("/login/two-factor?returnUrl=" + Uri.EscapeDataString(next));
        }

        // One answer for an unknown address, a wrong password and a locked account, so it never tells which exists.
        Error = "The e-mail address or password is not right. After 5 wrong passwords an account is locked for 15 minutes.";
        return Page();
    }
}
