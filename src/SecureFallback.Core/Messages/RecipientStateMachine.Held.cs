using SecureFallback.Core.Delivery;

namespace SecureFallback.Core.Messages;

/// <summary>
/// The held copy's own transitions of the recipient state machine (see <see cref="QueuedRecipient"/> in
/// RecipientStateMachine.cs for the whole diagram): an address no notice can reach, and the "this was not me" lock.
/// </summary>
public sealed partial class QueuedRecipient
{
    /// <summary>
    /// HeldForPickup → Failed 5.1.3 <see cref="FailureReason.BadAddress"/>: no notice can be addressed to the stored
    /// address, so the copy could never be picked up. The sender gets a DSN; no notice is owed any more.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not held, or the message is not loaded.</exception>
    public void FailUnaddressable(DateTimeOffset now)
    {
        RequireStatus(nameof(FailUnaddressable), RecipientStatus.HeldForPickup);
        var reportOwed = ReportOwed();
        Complete(RecipientStatus.Failed, now);
        (StatusCode, Reason, DsnPending, PickupNoticePending) = ("5.1.3", FailureReason.BadAddress, reportOwed, false);
        Diagnostic = "no pickup notice can be addressed to this recipient: the address is not an RFC 5321 mailbox";
    }

    /// <summary>
    /// HeldForPickup → HeldForPickup, locked: the owner of the address reported that its portal account was created
    /// by someone else, so the copy opens for nobody (it still expires and is shredded as any held copy). A report to
    /// the sender is owed (<see cref="LockReportPending"/>; never to the null sender).
    /// </summary>
    /// <exception cref="InvalidOperationException">Not held, already locked, or the message is not loaded.</exception>
    public void LockPickup(DateTimeOffset now)
    {
        RequireStatus(nameof(LockPickup), RecipientStatus.HeldForPickup);
        if (PickupLockedAt is not null)
        {
            throw new InvalidOperationException($"Recipient {Id} was locked at {PickupLockedAt:O} already.");
        }

        var reportOwed = ReportOwed();
        (PickupLockedAt, LockReportPending) = (now, reportOwed);
    }

    /// <summary>
    /// HeldForPickup, locked → HeldForPickup: an administrator removed the disowned account, so the copy opens again
    /// for whoever registers the address next by proving the mailbox. A lock report still owed stays owed.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not held, or not locked.</exception>
    public void UnlockPickup()
    {
        RequireStatus(nameof(UnlockPickup), RecipientStatus.HeldForPickup);
        PickupLockedAt = PickupLockedAt is null ? throw new InvalidOperationException($"Recipient {Id} is not locked.") : null;
    }

    /// <summary>Clears <see cref="LockReportPending"/>: the report of the lock is queued.</summary>
    /// <exception cref="InvalidOperationException">No report was owed.</exception>
    public void LockReportQueued() => LockReportPending = Cleared(LockReportPending, "lock report");
}
