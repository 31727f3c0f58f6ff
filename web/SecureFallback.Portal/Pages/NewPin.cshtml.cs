using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using SecureFallback.Core.Pickup;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// The link in the held DSN, for the sender: issues a new PIN for one held recipient (resetting the wrong tries) and
/// shows it once. The link's token (stored as its SHA-256) travelled only in the DSN, over mandatory TLS to the
/// sender's own organisation. Opening the link changes nothing (mail scanners follow links); only the form does.
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class NewPinModel(PickupPins pins) : PageModel
{
    public PickupGrant? Grant { get; private set; }

    /// <summary>The PIN just issued, shown once.</summary>
    public string? NewPin { get; private set; }

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken cancellationToken)
    {
        Grant = await pins.FindByResetTokenAsync(token, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken cancellationToken)
    {
        Grant = await pins.FindByResetTokenAsync(token, cancellationToken);
        if (Grant is not null) // also after an unlock: it holds only for the account's credentials of that moment
        {
            NewPin = await pins.IssueAsync(Grant, "the sender (held-DSN link)", cancellationToken);
        }

        Response.Headers.CacheControl = "no-store";
        return Page();
    }
}
