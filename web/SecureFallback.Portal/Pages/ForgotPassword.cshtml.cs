using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace SecureFallback.Portal.Pages;

/// <summary>Password reset by a code mailed to the account's address.</summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class ForgotPasswordModel(PortalAccounts accounts) : PageModel
{
    public string? Email { get; private set; }

    public bool CodeRequested { get; private set; }

    public bool Done { get; private set; }

    public List<string> Errors { get; } = [];

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostSendAsync(string email, CancellationToken cancellationToken)
    {
        Email = email?.Trim();
        if (string.IsNullOrEmpty(Email) || !Email.Contains('@', StringComparison.Ordinal))
        {
            Errors.Add("Enter your e-mail address.");
            return Page();
        }

        await accounts.RequestPasswordResetAsync(Email, cancellationToken);
        CodeRequested = true;
        return Page();
    }

    public async Task<IActionResult> OnPostResetAsync(string email, string code, string password, string confirm)
    {
        (Email, CodeRequested) = (email?.Trim(), true);
        if (password != confirm)
        {
            Errors.Add("The two passwords differ.");
            return Page();
        }

        var (check, result) = await accounts.ResetPasswordAsync(Email ?? "", (code ?? "").Trim(), password ?? "");
        if (check == CodeCheck.LockedOut)
        {
            Errors.Add("Too many wrong codes or passwords. Try again in 15 minutes.");
        }
        else if (check == CodeCheck.Wrong)
        {
            Errors.Add("That code is not right or has expired. Check the latest mail, or ask for a new code.");
        }
        else if (!result!.Succeeded)
        {
            Errors.AddRange(result.Errors.Select(e => e.Description));
        }
        else
        {
            Done = true;
        }

        return Page();
    }
}
