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

        var (check, result) = await accounts.ResetPasswordAsync(Email ?? "", code ?? "", password ?? "");
        if (check == CodeCheck.Wrong)
        {
            Errors.Add(WrongCode);
        }
        else if (!result!.Succeeded)
        {
            Errors.AddRange(this.Describe(result.Errors));
        }
        else
        {
            Done = true;
        }

        return Page();
    }
}
