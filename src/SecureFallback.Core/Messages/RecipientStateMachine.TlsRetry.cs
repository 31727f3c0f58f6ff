using SecureFallback.Core.Delivery;

namespace SecureFallback.Core.Messages;

/// <summary>
/// The held copy's retry of TLS (<c>Pickup:DeliverWhenTlsReturns</c>): see <see cref="QueuedRecipient"/> in
/// RecipientStateMachine.cs for the whole diagram.
/// </summary>
public sealed partial class QueuedRecipient
{
    /// <summary>
    /// HeldForPickup → Queued, due at once, to try TLS again (<see cref="RetryingTlsAfterHold"/>). The hold, its
    /// grant and PIN stay: a failure puts the copy straight back (<see cref="ReturnToHold"/>). The caller has made
    /// sure the copy was never read (<see cref="Pickup.HeldTlsRetry.IsDue"/>) and blocks reading while it is in flight.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not held, locked, or the hold has ended.</exception>
    public void RetryTlsAfterHold(DateTimeOffset now)
    {
        RequireStatus(nameof(RetryTlsAfterHold), RecipientStatus.HeldForPickup);
        if (PickupLockedAt is not null || HoldUntil is not { } holdUntil || holdUntil <= now)
        {
            throw new InvalidOperationException($"Recipient {Id} is locked or its hold has ended: TLS is not tried again.");
        }

        (Status, NextAttemptAt, RetryingTlsAfterHold, TlsRetriedAt) = (RecipientStatus.Queued, now, true, now);
    }

    /// <summary>
    /// Queued after <see cref="RetryTlsAfterHold"/> → HeldForPickup as it was (same hold, grant and PIN): TLS is still
    /// not to be had, or the attempt failed otherwise. No notice and no DSN are owed again.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not queued from a hold, or the message is not loaded.</exception>
    /// <exception cref="ArgumentException">The attempt delivered the message.</exception>
    public void ReturnToHold(RecipientAttempt attempt, DateTimeOffset now)
    {
        RequireRetryAfterHold(nameof(ReturnToHold));
        EndAttempt(nameof(ReturnToHold), attempt, DeliveryOutcome.TlsUnavailable, DeliveryOutcome.TlsFailed, DeliveryOutcome.Transient, DeliveryOutcome.Permanent);
        (Status, StatusCode, RetryingTlsAfterHold, TlsRetriedAt) = (RecipientStatus.HeldForPickup, "2.0.0", false, now);
    }

    /// <summary>
    /// The end of a retry of TLS: delivered over TLS → Delivered, and the sender is told ("Action: delivered") even
    /// when delivery reports are off, since the held DSN said the message waited in the portal; otherwise back on hold.
    /// </summary>
    private void RecordRetryAfterHold(RecipientAttempt attempt, DateTimeOffset now)
    {
        if (attempt.Result.Outcome != DeliveryOutcome.Delivered)
        {
            ReturnToHold(attempt, now);
            return;
        }

        RequireRetryAfterHold(nameof(Deliver));
        Deliver(attempt, "held copy, TLS available again", reportDelivered: true, now);
        (RetryingTlsAfterHold, HoldUntil) = (false, null);
        Diagnostic = Truncate($"held copy delivered once TLS was available again; {Diagnostic}", DiagnosticLength);
    }

    private void RequireRetryAfterHold(string transition)
    {
        RequireStatus(transition, RecipientStatus.Queued);
        if (!RetryingTlsAfterHold)
        {
            throw new InvalidOperationException($"{transition} is not allowed for recipient {Id}: it was not queued from a hold to try TLS again.");
        }
    }
}
