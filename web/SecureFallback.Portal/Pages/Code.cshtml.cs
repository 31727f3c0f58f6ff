using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// For the cautious recipient who types the portal address instead of clicking: address + reference code from the
/// notice lead to registration (or to sign-in when the address already has an account).
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class CodeModel(HeldMessages held, PortalAccounts accounts, SignInManager<PortalUser> signIn) : PageModel
{
    public string? Address { get; private set; }

    public string? Code { get; private set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostCheckAsync(string email, string code, CancellationToken cancellationToken)
    {
        var grant = await held.FindByReferenceAsync(email ?? "", code ?? "", cancellationToken);
        if (grant is null)
        {
            Error = "That address and reference code do not match a waiting message.";
            return Page();
        }

        if (await accounts.IsRegisteredAsync(grant.Address))
        {
            return Redirect("/login");
        }

        (Address, Code) = (grant.Address, code);
        return Page();
    }

    public async Task<IActionResult> OnPostRegisterAsync(string email, string code, string password, string confirm, CancellationToken cancellationToken)
    {
        var grant = await held.FindByReferenceAsync(email ?? "", code ?? "", cancellationToken);
        if (grant is null)
        {
            Error = "That address and reference code do not match a waiting message.";
            return Page();
        }

        (Address, Code) = (grant.Address, code);
        if (password != confirm)
        {
            Error = "The two passwords differ.";
            return Page();
        }

        var (created, user) = await accounts.RegisterAsync(grant.Address, password ?? "", grant.Id);
        if (user is null)
        {
            Error = string.Join(" ", created.Errors.Select(e => e.Description));
            return Page();
        }

        await signIn.SignInAsync(user, isPersistent: false);
        return Redirect("/inbox");
    }
}
