using SecureFallback.Core.Pickup;

namespace SecureFallback.Core.Messages;

/// <summary>
/// The sender's (or an administrator's) say over a held copy after it was held (see <see cref="QueuedRecipient"/> in
/// RecipientStateMachine.cs for the whole diagram): revoke it, or keep it longer.
/// </summary>
public sealed partial class QueuedRecipient
{
    /// <summary>A hold never runs longer than this from the message's arrival, however often it is extended.</summary>
    public static readonly TimeSpan MaxHoldFromArrival = TimeSpan.FromDays(365);

    /// <summary>
    /// HeldForPickup → Revoked: the copy opens for nobody from now on, and its content is crypto-shredded once no
    /// other recipient needs it. Its own status (not Failed) so the recipient's portal can say "revoked by the sender"
    /// and no DSN is sent as for a failure; a confirmation is owed to the sender instead (never to the null sender).
    /// The sender's links die with it.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not held, or the message is not loaded.</exception>
    public void Revoke(RevokedBy by, DateTimeOffset now)
    {
        RequireStatus(nameof(Revoke), RecipientStatus.HeldForPickup);
        var confirmationOwed = ReportOwed();
        Complete(RecipientStatus.Revoked, now);
        (RevokedAt, RevokedBy, RevokeConfirmationPending, StatusCode) = (now, by, confirmationOwed, "5.7.0");
        (RevokeTokenHash, ExtendTokenHash, PickupNoticePending) = (null, null, false);
        Diagnostic = by == Messages.RevokedBy.Sender ? "revoked by the sender" : "revoked by an administrator";
    }

    /// <summary>
    /// HeldForPickup → HeldForPickup, held <paramref name="by"/> longer; never past <see cref="MaxHoldFromArrival"/>
    /// from the message's arrival.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not held, or the message is not loaded.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Not a positive time, or the hold would run past the limit.</exception>
    public void ExtendHold(TimeSpan by, DateTimeOffset now)
    {
        RequireStatus(nameof(ExtendHold), RecipientStatus.HeldForPickup);
        if (by <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), by, "A hold is extended by at least one day.");
        }

        var limit = LoadedMessage.ReceivedAt + MaxHoldFromArrival;
        var until = (HoldUntil is { } current && current > now ? current : now) + by;
        if (until > limit)
        {
            throw new ArgumentOutOfRangeException(nameof(by), by,
                $"A held message is kept at most {MaxHoldFromArrival.TotalDays:0} days from its arrival: this one until {limit.UtcDateTime:yyyy-MM-dd HH:mm} UTC.");
        }

        HoldUntil = until;
    }

    /// <summary>Sets fresh 256-bit tokens for the held DSN's revoke and extend links (their hashes only) and returns them once.</summary>
    /// <exception cref="InvalidOperationException">Not held.</exception>
    public (string Revoke, string Extend) IssueSenderLinkTokens()
    {
        RequireStatus(nameof(IssueSenderLinkTokens), RecipientStatus.HeldForPickup);
        var (revoke, extend) = (PickupGrant.NewToken(), PickupGrant.NewToken());
        (RevokeTokenHash, ExtendTokenHash) = (PickupGrant.HashToken(revoke), PickupGrant.HashToken(extend));
        return (revoke, extend);
    }

    /// <summary>Clears <see cref="RevokeConfirmationPending"/>: the confirmation is queued.</summary>
    /// <exception cref="InvalidOperationException">No confirmation was owed.</exception>
    public void RevokeConfirmationQueued() => RevokeConfirmationPending = Cleared(RevokeConfirmationPending, "revoke confirmation");
}
