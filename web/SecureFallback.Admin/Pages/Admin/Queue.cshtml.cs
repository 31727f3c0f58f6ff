using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Data.Holds;

namespace SecureFallback.Admin.Pages.Admin;

/// <summary>
/// Recipients still in the queue or held for pickup, with the admin's levers: retry now, retry TLS for a held copy
/// (it is held again if TLS still fails; nothing ever goes in clear), and delete, which returns the message to its
/// sender with a DSN, so even a deletion never loses mail silently. A held copy can also be revoked (shredded, the
/// sender is sent a confirmation) or held longer.
/// </summary>
public sealed class QueueModel(SecureFallbackDbContext db, HeldCopies heldCopies, IDeliverySignal signal, TimeProvider timeProvider) : PageModel
{
    public List<QueuedRecipient> Recipients { get; private set; } = [];

    public string? Notice { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostRetryAsync(long id, CancellationToken cancellationToken)
    {
        var recipient = await db.Recipients.SingleOrDefaultAsync(r => r.Id == id && (r.Status == RecipientStatus.Queued || r.Status == RecipientStatus.HeldForPickup), cancellationToken);
        if (recipient is not null)
        {
            var wasHeld = recipient.Status == RecipientStatus.HeldForPickup;
            recipient.Requeue(timeProvider.GetUtcNow());
            await SaveAsync(cancellationToken);
            Notice = wasHeld ? $"Trying TLS delivery to {recipient.Address} again." : $"Retrying {recipient.Address} now.";
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync(long id, CancellationToken cancellationToken)
    {
        var recipient = await db.Recipients.Include(r => r.Message).SingleOrDefaultAsync(r => r.Id == id && (r.Status == RecipientStatus.Queued || r.Status == RecipientStatus.HeldForPickup), cancellationToken);
        if (recipient is not null)
        {
            recipient.DeleteByAdmin(User.Identity?.Name, timeProvider.GetUtcNow());
            await SaveAsync(cancellationToken);
            Notice = $"Deleted {recipient.Address}; the sender is told.";
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(long id, CancellationToken cancellationToken)
    {
        var revoked = await heldCopies.RevokeAsync([id], RevokedBy.Administrator, $"admin {User.Identity?.Name}", cancellationToken);
        Notice = revoked is [var recipient] ? $"Revoked the copy for {recipient.Address}; the sender is told." : "That copy is no longer held.";
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostExtendAsync(long id, int days, CancellationToken cancellationToken)
    {
        try
        {
            var extended = await heldCopies.ExtendAsync([id], TimeSpan.FromDays(days), $"admin {User.Identity?.Name}", cancellationToken);
            Notice = extended is [{ HoldUntil: { } until } recipient]
                ? $"The copy for {recipient.Address} is now held until {until.UtcDateTime:yyyy-MM-dd HH:mm} UTC."
                : "That copy is no longer held.";
        }
        catch (ArgumentOutOfRangeException ex)
        {
            Notice = ex.Message.Split(" (Parameter", 2)[0];
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        await db.SaveChangesAsync(cancellationToken);

        signal.Notify();
    }

    private async Task LoadAsync(CancellationToken cancellationToken) =>
        Recipients = await db.Recipients.AsNoTracking().Include(r => r.Message)
            .Where(r => r.Message!.Kind == MessageKind.Submitted && (r.Status == RecipientStatus.Queued || r.Status == RecipientStatus.HeldForPickup))
            .OrderBy(r => r.Id).Take(500).ToListAsync(cancellationToken);
}
