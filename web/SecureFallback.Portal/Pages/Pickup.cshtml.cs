using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// The personal link from the pickup notice. The token proves the mailbox, so it registers an account for exactly
/// the grant's address (e-mail confirmed); an address that already has an account signs in instead. Single use.
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class PickupModel(HeldMessages held, PortalAccounts accounts, SignInManager<PortalUser> signIn) : PageModel
{
    public PickupGrant? Grant { get; private set; }

    public List<string> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken cancellationToken)
    {
        Grant = await held.FindUnusedGrantAsync(token, cancellationToken);
        if (Grant is not null && await accounts.IsRegisteredAsync(Grant.Address))
        {
            return Redirect("/login");
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string token, string password, string confirm, CancellationToken cancellationToken)
    {
        Grant = await held.FindUnusedGrantAsync(token, cancellationToken);
        if (Grant is null)
        {
            return Page();
        }

        if (password != confirm)
        {
            Errors.Add("The two passwords differ.");
            return Page();
        }

        var (created, user) = await accounts.RegisterAsync(Grant.Address, password ?? "");
        if (user is null)
        {
            Errors.AddRange(created.Errors.Select(e => e.Description));
            return Page();
        }

        await held.MarkTokenUsedAsync(Grant, cancellationToken);
        await signIn.SignInAsync(user, isPersistent: false);
        return Redirect("/inbox");
    }
}
