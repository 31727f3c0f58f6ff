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
public sealed class PickupModel(HeldMessages held, UserManager<PortalUser> users, SignInManager<PortalUser> signIn, TimeProvider timeProvider) : PageModel
{
    public PickupGrant? Grant { get; private set; }

    public List<string> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken cancellationToken)
    {
        Grant = await held.FindUnusedGrantAsync(token, cancellationToken);
        if (Grant is not null && await users.FindByEmailAsync(Grant.Address) is not null)
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

        var user = new PortalUser { UserName = Grant.Address, Email = Grant.Address, EmailConfirmed = true, CreatedAt = timeProvider.GetUtcNow() };
        var created = await users.CreateAsync(user, password ?? "");
        if (!created.Succeeded)
        {
            Errors.AddRange(created.Errors.Select(e => e.Description));
            return Page();
        }

        await held.MarkTokenUsedAsync(Grant, cancellationToken);
        await signIn.SignInAsync(user, isPersistent: false);
        return Redirect("/inbox");
    }
}
