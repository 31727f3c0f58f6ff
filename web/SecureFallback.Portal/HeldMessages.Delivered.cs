using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;

namespace SecureFallback.Portal;

/// <summary>
/// Held copies delivered to the recipient's mailbox once TLS came back (<c>Pickup:DeliverWhenTlsReturns</c>): their
/// content is gone, and the portal says where the message went instead of showing it.
/// </summary>
public sealed partial class HeldMessages
{
    /// <summary>Grants of an address whose held copy was delivered by SMTP once TLS came back, with when; shown until the grant runs out.</summary>
    private IQueryable<DeliveredGrant> DeliveredGrants(string address)
    {
        var key = PickupGrant.AddressKeyOf(address);
        var now = timeProvider.GetUtcNow();
        return db.PickupGrants
            .Where(g => g.AddressKey == key && g.ExpiresAt > now && g.RedeliveryClaimedAt != null)
            .Join(db.Recipients.Where(r => r.Status == RecipientStatus.Delivered && r.CompletedAt != null), g => g.RecipientId, r => r.Id, (g, r) => new { g, r.CompletedAt })
            .OrderByDescending(x => x.CompletedAt)
            .Select(x => new DeliveredGrant(x.g, x.CompletedAt!.Value));
    }

    private sealed record DeliveredGrant(PickupGrant Grant, DateTimeOffset DeliveredAt);
}
