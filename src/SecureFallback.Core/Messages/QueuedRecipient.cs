using SecureFallback.Core.Delivery;
using SecureFallback.Core.Policies;

namespace SecureFallback.Core.Messages;

/// <summary>
/// One envelope recipient of a <see cref="QueuedMessage"/> and its delivery state. The state fields have private
/// setters: they change only through the transitions in <c>RecipientStateMachine.cs</c>.
/// </summary>
public sealed partial class QueuedRecipient
{
    public long Id { get; set; }

    public Guid MessageId { get; set; }

    public QueuedMessage? Message { get; set; }

    public string Address { get; set; } = "";

    /// <summary>Lower-case domain of <see cref="Address"/>; recipients are grouped by it for delivery.</summary>
    public string Domain { get; set; } = "";

    public RecipientStatus Status { get; private set; }

    /// <summary>Outcome of the latest attempt; <c>null</c> before the first.</summary>
    public DeliveryOutcome? LastOutcome { get; private set; }

    /// <summary>Failure reason in the TLS-RPT result vocabulary (or a queue reason such as <c>dns-timeout</c>).</summary>
    public string? Reason { get; private set; }

    /// <summary>The last SMTP reply or diagnostic text, for the DSN and the audit trail.</summary>
    public string? Diagnostic { get; private set; }

    /// <summary>Enhanced status code (RFC 3463) reported in a DSN, e.g. <c>5.7.10</c>.</summary>
    public string? StatusCode { get; private set; }

    /// <summary>Host that gave the final answer, for the DSN's Remote-MTA.</summary>
    public string? RemoteHost { get; private set; }

    public int AttemptCount { get; private set; }

    public DateTimeOffset NextAttemptAt { get; private set; }

    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>
    /// True when the recipient was delivered without TLS: a submitted message under a policy's deliver-plain test
    /// mode. Never true for content-free notices, which may always travel without TLS.
    /// </summary>
    public bool DeliveredInClear { get; private set; }

    /// <summary>True while the pickup notice to this (held) recipient is still to be queued (an outbox flag).</summary>
    public bool PickupNoticePending { get; private set; }

    /// <summary>
    /// Held under a policy, rule or default that asks for the sender's PIN: the pickup grant requires it and the held
    /// DSN carries it. Set by <see cref="HoldForPickup"/>.
    /// </summary>
    public bool PickupPinRequired { get; private set; }

    /// <summary>While held for pickup: when the held copy expires and is destroyed.</summary>
    public DateTimeOffset? HoldUntil { get; private set; }

    /// <summary>
    /// True while a report about this recipient is owed to the sender (an outbox flag): failed, held for pickup,
    /// pickup expired, or delivered when delivery reports are switched on.
    /// </summary>
    public bool DsnPending { get; private set; }

    /// <summary>
    /// While held: when the copy was locked because the owner of the address reported that its portal account was
    /// not theirs ("this was not me"). A locked copy opens for nobody; it still expires and is shredded as any.
    /// </summary>
    public DateTimeOffset? PickupLockedAt { get; private set; }

    /// <summary>When the copy was held for pickup (the retry of TLS runs from here); null before it was, or for holds older than this field.</summary>
    public DateTimeOffset? HeldAt { get; private set; }

    /// <summary>While held: when TLS was last tried again for the held copy (<see cref="RetryTlsAfterHold"/>); null when never.</summary>
    public DateTimeOffset? TlsRetriedAt { get; private set; }

    /// <summary>
    /// Queued again from a hold to try TLS once more: the attempt goes over mandatory TLS only (never in clear, whatever
    /// the policy), delivers the held copy, or puts it back on hold with nothing owed.
    /// </summary>
    public bool RetryingTlsAfterHold { get; private set; }

    /// <summary>True while the sender is still to be told that the copy was locked (an outbox flag).</summary>
    public bool LockReportPending { get; private set; }

    /// <summary>When the held copy was revoked (<see cref="RecipientStatus.Revoked"/>).</summary>
    public DateTimeOffset? RevokedAt { get; private set; }

    /// <summary>Who revoked the held copy; null unless <see cref="RecipientStatus.Revoked"/>.</summary>
    public RevokedBy? RevokedBy { get; private set; }

    /// <summary>True while the sender is still to be sent the confirmation of a revocation (an outbox flag).</summary>
    public bool RevokeConfirmationPending { get; private set; }

    /// <summary>SHA-256 of the token in the held DSN's revoke link; the token exists only in that DSN.</summary>
    public byte[]? RevokeTokenHash { get; private set; }

    /// <summary>SHA-256 of the token in the held DSN's extend link; the token exists only in that DSN.</summary>
    public byte[]? ExtendTokenHash { get; private set; }

    /// <summary>
    /// The instance (<c>SecureFallback:InstanceName</c>) that has claimed this recipient for an attempt, so that
    /// instances sharing one database never attempt it twice; <c>null</c> when nobody has. Claims are taken by
    /// the data layer in SQL; recording an attempt ends them.
    /// </summary>
    public string? LeaseOwner { get; private set; }

    /// <summary>When the claim lapses: a crashed instance's recipients are taken up by others after this.</summary>
    public DateTimeOffset? LeaseUntil { get; private set; }

    /// <summary>The TLS level the last attempt had to meet (audit trail).</summary>
    public TlsLevel? PolicyLevel { get; private set; }

    /// <summary>What the policy said to do when the level could not be met (audit trail).</summary>
    public FailureAction? PolicyAction { get; private set; }

    /// <summary>Which policy and rule decided, e.g. <c>policy partner.test; rule 1 (subject contains [secure] → pickup)</c>.</summary>
    public string? PolicySource { get; private set; }

    /// <summary>A new recipient row, <see cref="RecipientStatus.Queued"/> and due at once.</summary>
    public static QueuedRecipient Create(Guid messageId, string address, DateTimeOffset now) => new()
    {
        MessageId = messageId,
        Address = address,
        Domain = DomainOf(address),
        Status = RecipientStatus.Queued,
        NextAttemptAt = now,
    };

    /// <summary>Lower-case domain of an address, without a trailing dot.</summary>
    public static string DomainOf(string address)
    {
        var at = address.LastIndexOf('@');
        return (at < 0 ? "" : address[(at + 1)..]).TrimEnd('.').ToLowerInvariant();
    }
}
