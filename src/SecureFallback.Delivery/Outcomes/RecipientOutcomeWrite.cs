using SecureFallback.Core.Messages;

namespace SecureFallback.Delivery.Outcomes;

/// <summary>
/// What <see cref="QueuedRecipient.RecordAttempt"/> may change: the recorder reads recipients untracked, lets the
/// state machine change them in memory and writes these columns of each back in one command
/// (<see cref="Data.Writes.DatabaseWrite.UpdateAllAsync{T}"/>), instead of tracking every row. A value the
/// transition left alone is written back as it was read, which changes nothing: the write holds the recipients'
/// claims, and on PostgreSQL their rows too, locked before they were read. RecipientOutcomeWriteTests hold every
/// attempt transition of the state machine to this list.
/// </summary>
internal static class RecipientOutcomeWrite
{
    public static IReadOnlyList<string> Columns { get; } =
    [
        nameof(QueuedRecipient.Status),
        nameof(QueuedRecipient.LastOutcome),
        nameof(QueuedRecipient.Reason),
        nameof(QueuedRecipient.Diagnostic),
        nameof(QueuedRecipient.StatusCode),
        nameof(QueuedRecipient.RemoteHost),
        nameof(QueuedRecipient.AttemptCount),
        nameof(QueuedRecipient.NextAttemptAt),
        nameof(QueuedRecipient.CompletedAt),
        nameof(QueuedRecipient.DeliveredInClear),
        nameof(QueuedRecipient.PickupNoticePending),
        nameof(QueuedRecipient.PickupPinRequired),
        nameof(QueuedRecipient.HoldUntil),
        nameof(QueuedRecipient.DsnPending),
        nameof(QueuedRecipient.HeldAt),
        nameof(QueuedRecipient.TlsRetriedAt),
        nameof(QueuedRecipient.RetryingTlsAfterHold),
        nameof(QueuedRecipient.LeaseOwner),
        nameof(QueuedRecipient.LeaseUntil),
        nameof(QueuedRecipient.PolicyLevel),
        nameof(QueuedRecipient.PolicyAction),
        nameof(QueuedRecipient.PolicySource),
    ];
}
