using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace SecureFallback.Portal.Pages;

/// <summary>Password reset by a code mailed to the account's address.</summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class ForgotPasswordModel(PortalAccounts accounts) : CodeByMailPage
{
    public bool Done { get; private set; }

    public Task<IActionResult> OnPostSendAsync(string email, CancellationToken cancellationToken) =>
        RequestCodeAsync(email, accounts.RequestPasswordResetAsync, cancellationToken);

    public async Task<IActionResult> OnPostResetAsync(string email, string code, string password, string confirm)
    {
        if (!PasswordsMatch(email, password, confirm))
        {
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
