using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.Data.Writes;

namespace SecureFallback.Admin.Pages.Admin;

/// <summary>
/// One message's trail: envelope, each recipient's decision and outcome, every attempt, and the state of each held
/// copy's PIN. Never the content, nor a PIN, except the one an admin has just issued, shown once.
/// </summary>
public sealed partial class MessageModel(AdminQueries queries, SecureFallbackDbContext db, TimeProvider timeProvider, ILogger<MessageModel> logger) : PageModel
{
    public QueuedMessage Message { get; private set; } = null!;

    public List<DeliveryAttempt> Attempts { get; private set; } = [];

    /// <summary>Revocations and extensions of the held copies: who, when, and the new end of an extended hold.</summary>
    public List<HoldAction> HoldActions { get; private set; } = [];

    /// <summary>Pickup grants that need the sender's PIN, by recipient id.</summary>
    public Dictionary<long, PickupGrant> Pins { get; private set; } = [];

    /// <summary>The PIN just issued and for whom, shown once.</summary>
    public (string Address, string Pin)? NewPin { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Page() : NotFound();

    /// <summary>Issues a new PIN for one held recipient (the wrong tries start again) and shows it to the admin once.</summary>
    public async Task<IActionResult> OnPostPinAsync(Guid id, long recipientId, CancellationToken cancellationToken)
    {
        var grant = await db.PickupGrants.SingleOrDefaultAsync(g => g.MessageId == id && g.RecipientId == recipientId && g.PinRequired, cancellationToken);
        if (grant is not null) // also after an unlock: it holds only for the credentials of that moment
        {
            var issuedBy = $"admin {User.Identity?.Name}";
            await using (var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken))
            {
                NewPin = (grant.Address, grant.IssuePin(timeProvider.GetUtcNow(), issuedBy));
                await db.SaveChangesAsync(cancellationToken);
                await write.CommitAsync(cancellationToken);
            }

            AdminPinLog.Issued(logger, grant.Id, issuedBy);
        }

        return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        var (message, attempts) = await queries.TrailAsync(id, cancellationToken);
        if (message is null)
        {
            return false;
        }

        (Message, Attempts) = (message, attempts);
        HoldActions = await db.HoldActions.AsNoTracking().Where(a => a.MessageId == id).OrderBy(a => a.Id).ToListAsync(cancellationToken);
        Pins = await db.PickupGrants.AsNoTracking().Where(g => g.MessageId == id && g.PinRequired).ToDictionaryAsync(g => g.RecipientId, cancellationToken);
        Response.Headers.CacheControl = "no-store";
        return true;
    }

    private static partial class AdminPinLog
    {
        [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "New PIN issued for held message grant {GrantId} by {IssuedBy}")]
        public static partial void Issued(ILogger logger, Guid grantId, string issuedBy);
    }
}
