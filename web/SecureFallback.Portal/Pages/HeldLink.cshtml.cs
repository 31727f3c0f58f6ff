using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Localization;
using SecureFallback.Core.Messages;
using SecureFallback.Data.Holds;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// The revoke and extend links in the held DSN, for the sender. Each link's token does one thing only, is stored as
/// its SHA-256 on the held copy, and travelled only in the DSN, over mandatory TLS to the sender's own organisation,
/// so no sign-in is asked. Opening a link changes nothing (mail scanners follow links); only the confirming form does.
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class HeldLinkModel(HeldCopies heldCopies, IStringLocalizer<PortalText> text) : PageModel
{
    /// <summary>The link's action, from its path (<c>/held/revoke/…</c> or <c>/held/extend/…</c>).</summary>
    public bool IsRevoke { get; private set; }

    public QueuedRecipient? Recipient { get; private set; }

    public string? Done { get; private set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(string what, string token, CancellationToken cancellationToken)
    {
        if (what is not ("revoke" or "extend"))
        {
            return NotFound();
        }

        IsRevoke = what == "revoke";
        Recipient = await FindAsync(token, cancellationToken);
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string what, string token, CancellationToken cancellationToken)
    {
        if (what is not ("revoke" or "extend"))
        {
            return NotFound();
        }

        IsRevoke = what == "revoke";
        Response.Headers.CacheControl = "no-store";
        Recipient = await FindAsync(token, cancellationToken);
        if (Recipient is null)
        {
            return Page();
        }

        if (IsRevoke)
        {
            var revoked = await heldCopies.RevokeAsync([Recipient.Id], RevokedBy.Sender, "sender (held-DSN link)", cancellationToken);
            Done = revoked.Count == 1
                ? text["Held.RevokedText", Recipient.Address].Value
                : null;
            Error = Done is null ? text["Held.NotChanged"].Value : null; // lost to the expiry, a delivery attempt or another click
            return Page();
        }

        try
        {
            var extended = await heldCopies.ExtendAsync([Recipient.Id], HeldCopies.DefaultExtension, "sender (held-DSN link)", cancellationToken);
            Done = extended is [{ HoldUntil: { } until }]
                ? text["Held.ExtendedText", Recipient.Address, text.When(until)].Value
                : null;
            Error = Done is null ? text["Held.NotChanged"].Value : null;
        }
        catch (ArgumentOutOfRangeException)
        {
            Error = text["Held.ExtendLimit", (int)QueuedRecipient.MaxHoldFromArrival.TotalDays, text.When(Recipient.Message!.ReceivedAt + QueuedRecipient.MaxHoldFromArrival)];
        }

        return Page();
    }

    private Task<QueuedRecipient?> FindAsync(string token, CancellationToken cancellationToken) =>
        heldCopies.FindByLinkAsync(IsRevoke ? SenderLink.Revoke : SenderLink.Extend, token, cancellationToken);
}
