using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;

namespace SecureFallback.Core.Pickup;

/// <summary>
/// Which held copies are due to be tried again over TLS (<c>Pickup:DeliverWhenTlsReturns</c>,
/// <c>Pickup:RetryTlsEvery</c>, <c>Pickup:RetryTlsFor</c>). Pure: the caller supplies the recipient, whether its
/// copy was read in the portal, and the time.
/// </summary>
/// <param name="Enabled">Held copies are tried again at all.</param>
/// <param name="Every">The time between two tries of one copy.</param>
/// <param name="For">How long after the hold the copy is tried.</param>
public sealed record HeldTlsRetry(bool Enabled, TimeSpan Every, TimeSpan For)
{
    /// <summary>
    /// True when <paramref name="recipient"/> should now be tried again over TLS: held, not locked ("this was not
    /// me"), held for want of TLS (not by a pickup rule), its copy never opened in the portal (an opened copy is never sent again), the hold not yet ended,
    /// within <see cref="For"/> of the hold, and <see cref="Every"/> after its hold or its last try. Copies held before
    /// <see cref="QueuedRecipient.HeldAt"/> was kept are not tried: when their hold began is unknown.
    /// </summary>
    public bool IsDue(QueuedRecipient recipient, bool read, DateTimeOffset now)
    {
        if (!Enabled || read || recipient.Status != RecipientStatus.HeldForPickup || recipient.PickupLockedAt is not null
            || recipient.HoldUntil is not { } holdUntil || holdUntil <= now || recipient.HeldAt is not { } heldAt
            || recipient.Reason == FailureReason.PolicyPickup) // held by a rule, not for want of TLS: TLS cannot release it
        {
            return false;
        }

        return now < heldAt + For && now >= (recipient.TlsRetriedAt ?? heldAt) + Every;
    }
}
