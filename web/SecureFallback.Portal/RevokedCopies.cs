using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>A held copy the recipient can no longer open because it was revoked: what the inbox and message page say instead.</summary>
public sealed record RevokedCopy(Guid GrantId, DateTimeOffset RevokedAt, RevokedBy By, Guid MessageId)
{
    /// <summary>The <see cref="PortalText"/> key of "Revoked by the sender on {0}" (or "by the administrator"); {0} is the time.</summary>
    public string TextKey => By == RevokedBy.Sender ? "Revoked.BySender" : "Revoked.ByAdministrator";
}

/// <summary>
/// The recipient's revoked copies, by their grants: like <see cref="HeldMessages"/>, every query is filtered by the
/// signed-in user's own address. Nothing of the message is read (its content may be shredded already).
/// </summary>
public sealed class RevokedCopies(SecureFallbackDbContext db)
{
    public async Task<List<RevokedCopy>> ListAsync(string address, CancellationToken cancellationToken)
    {
        var key = PickupGrant.AddressKeyOf(address);
        var rows = await (from grant in db.PickupGrants.AsNoTracking()
                          where grant.AddressKey == key
                          join recipient in db.Recipients.AsNoTracking() on grant.RecipientId equals recipient.Id
                          where recipient.Status == RecipientStatus.Revoked
                          select new { grant.Id, recipient.RevokedAt, recipient.RevokedBy, grant.MessageId }).ToListAsync(cancellationToken);
        return [.. rows.Where(r => r.RevokedAt is not null)
            .Select(r => new RevokedCopy(r.Id, r.RevokedAt!.Value, r.RevokedBy ?? RevokedBy.Sender, r.MessageId))
            .OrderByDescending(r => r.RevokedAt)];
    }
}
