using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// For a visitor with neither the link nor the reference code (the notice was deleted, or went to a shared mailbox):
/// a confirmation code mailed to the address proves the mailbox, then the account is created.
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class RegisterModel(PortalAccounts accounts, SignInManager<PortalUser> signIn) : PageModel
{
    public string? Email { get; private set; }

    public bool CodeRequested { get; private set; }

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

        await accounts.RequestRegistrationCodeAsync(Email, cancellationToken);
        CodeRequested = true;
        return Page();
    }

    public async Task<IActionResult> OnPostConfirmAsync(string email, string code, string password, string confirm)
    {
        (Email, CodeRequested) = (email?.Trim(), true);
        if (password != confirm)
        {
            Errors.Add("The two passwords differ.");
            return Page();
        }

        var (check, result, user) = await accounts.CompleteRegistrationAsync(Email ?? "", (code ?? "").Trim(), password ?? "");
        switch (check)
        {
            case CodeCheck.LockedOut:
                Errors.Add("Too many wrong codes. Try again in 15 minutes.");
                return Page();
            case CodeCheck.Wrong:
                Errors.Add("That code is not right or has expired. Check the latest mail, or ask for a new code.");
                return Page();
        }

        if (user is null)
        {
            Errors.AddRange(result!.Errors.Select(e => e.Description));
            return Page();
        }

        await signIn.SignInAsync(user, isPersistent: false);
        return Redirect("/inbox");
    }
}
