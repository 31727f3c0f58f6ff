using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// For a visitor with neither the link nor the reference code (the notice was deleted, or went to a shared mailbox):
/// a confirmation code mailed to the address proves the mailbox, then the account is created.
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class RegisterModel(PortalAccounts accounts, SignInManager<PortalUser> signIn) : CodeByMailPage
{
    public Task<IActionResult> OnPostSendAsync(string email, CancellationToken cancellationToken) =>
        RequestCodeAsync(email, accounts.RequestRegistrationCodeAsync, cancellationToken);

    public async Task<IActionResult> OnPostConfirmAsync(string email, string code, string password, string confirm)
    {
        if (!PasswordsMatch(email, password, confirm))
        {
            return Page();
        }

        var (check, result, user) = await accounts.CompleteRegistrationAsync(Email ?? "", code ?? "", password ?? "");
        if (check == CodeCheck.Wrong)
        {
            Errors.Add(WrongCode);
            return Page();
        }

        if (user is null)
        {
            Errors.AddRange(this.Describe(result!.Errors));
            return Page();
        }

        await signIn.SignInAsync(user, isPersistent: false);
        return Redirect("/inbox");
    }
}
