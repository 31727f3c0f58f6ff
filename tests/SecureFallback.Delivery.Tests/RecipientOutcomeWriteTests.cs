using System.Reflection;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using SecureFallback.Delivery.Outcomes;

namespace SecureFallback.Delivery.Tests;

/// <summary>
/// The recorder writes a recorded recipient back column by column (<see cref="RecipientOutcomeWrite.Columns"/>)
/// rather than through change tracking: whatever any attempt transition of the state machine changes must be in
/// that list, or the change would be lost (say, a new flag a transition sets).
/// </summary>
public sealed class RecipientOutcomeWriteTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly QueueRules Rules = new(TimeSpan.FromDays(5), TimeSpan.FromDays(30), new RetrySchedule([TimeSpan.FromMinutes(1)]), ReportDelivered: true);
    private static readonly HostAttemptResult Accepted = new(DeliveryOutcome.Delivered, null, "250 2.0.0 queued as 42", "2.0.0");
    private static readonly HostAttemptResult Down = new(DeliveryOutcome.Transient, FailureReason.ConnectionFailed, "connection refused", "4.4.1");
    private static readonly HostAttemptResult NoStartTls = new(DeliveryOutcome.TlsUnavailable, FailureReason.StartTlsNotSupported, "no STARTTLS", "5.7.10");
    private static readonly HostAttemptResult Rejected = new(DeliveryOutcome.Permanent, FailureReason.PermanentReply, "550 5.1.1 no such user", "5.1.1");
    private static readonly PolicyDecision Pickup = new(TlsLevel.Verify, FailureAction.Pickup, TimeSpan.FromHours(4), false, "policy default", RequirePin: true);
    private static readonly PolicyDecision Bounce = new(TlsLevel.Secure, FailureAction.Bounce, TimeSpan.FromHours(4), false, "policy bank.test");
    private static readonly PolicyDecision Plain = new(TlsLevel.Encrypt, FailureAction.DeliverPlain, TimeSpan.FromHours(4), false, "policy lab.test");

    public static TheoryData<string> Transitions => [.. Scenarios.Keys];

    /// <summary>Each attempt transition: the recipient as the delivery run finds it, and the attempt recorded.</summary>
    private static Dictionary<string, (Func<QueuedRecipient> Claimed, Action<QueuedRecipient> Record)> Scenarios { get; } = new()
    {
        ["delivered over TLS"] = (NewQueued, r => r.RecordAttempt(new RecipientAttempt(Accepted, "mx.test", "Tls13", "TLS_AES_256_GCM_SHA384"), Pickup, Rules, ReceivedAt.AddMinutes(1))),
        ["delivered in clear"] = (NewQueued, r => r.RecordAttempt(new RecipientAttempt(Accepted, "mx.test"), Plain, Rules, ReceivedAt.AddMinutes(1))),
        ["retry"] = (NewQueued, r => r.RecordAttempt(new RecipientAttempt(Down, "mx.test"), Pickup, Rules, ReceivedAt.AddMinutes(1))),
        ["give up"] = (NewQueued, r => r.RecordAttempt(new RecipientAttempt(Down, "mx.test"), Pickup, Rules, ReceivedAt.AddDays(6))),
        ["hold for pickup"] = (NewQueued, r => r.RecordAttempt(new RecipientAttempt(NoStartTls, "mx.test"), Pickup, Rules, ReceivedAt.AddMinutes(1))),
        ["bounce"] = (NewQueued, r => r.RecordAttempt(new RecipientAttempt(NoStartTls, "mx.test"), Bounce, Rules, ReceivedAt.AddMinutes(1))),
        ["fail"] = (NewQueued, r => r.RecordAttempt(new RecipientAttempt(Rejected, "mx.test"), Pickup, Rules, ReceivedAt.AddMinutes(1))),
        ["held copy delivered"] = (RetryingAfterHold, r => r.RecordAttempt(new RecipientAttempt(Accepted, "mx.test", "Tls13", "TLS_AES_256_GCM_SHA384"), Pickup, Rules, ReceivedAt.AddHours(7))),
        ["held copy back on hold"] = (RetryingAfterHold, r => r.RecordAttempt(new RecipientAttempt(NoStartTls, "mx.test"), Pickup, Rules, ReceivedAt.AddHours(7))),
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    public void EveryPropertyAnAttemptTransitionChanges_IsWritten(string transition)
    {
        var (claimed, record) = Scenarios[transition];
        var recipient = claimed();
        var before = Snapshot(recipient);

        record(recipient);

        var changed = Snapshot(recipient).Where(p => !Equals(p.Value, before[p.Key])).Select(p => p.Key).ToList();
        Assert.Contains(nameof(QueuedRecipient.LeaseOwner), changed); // the transition ran
        Assert.Empty(changed.Except(RecipientOutcomeWrite.Columns));
    }

    private static QueuedRecipient NewQueued()
    {
        var message = new QueuedMessage { Id = Guid.NewGuid(), EnvelopeFrom = "alice@sender.test", ReceivedAt = ReceivedAt, Kind = MessageKind.Submitted };
        var recipient = QueuedRecipient.Create(message.Id, "carol@plain.test", ReceivedAt);
        recipient.Message = message;
        Claim(recipient);
        return recipient;
    }

    /// <summary>Held for pickup after a TLS failure, then queued again to try TLS (as HeldTlsRetryWorker does), and claimed.</summary>
    private static QueuedRecipient RetryingAfterHold()
    {
        var recipient = NewQueued();
        recipient.RecordAttempt(new RecipientAttempt(NoStartTls, "mx.test"), Pickup, Rules, ReceivedAt.AddMinutes(1));
        recipient.RetryTlsAfterHold(ReceivedAt.AddHours(6));
        Claim(recipient);
        return recipient;
    }

    /// <summary>Claimed by a delivery run, as RecipientLeases leaves it: the record ends the claim.</summary>
    private static void Claim(QueuedRecipient recipient)
    {
        typeof(QueuedRecipient).GetProperty(nameof(QueuedRecipient.LeaseOwner))!.SetValue(recipient, "instance-a");
        typeof(QueuedRecipient).GetProperty(nameof(QueuedRecipient.LeaseUntil))!.SetValue(recipient, (DateTimeOffset?)ReceivedAt.AddDays(10));
    }

    private static Dictionary<string, object?> Snapshot(QueuedRecipient recipient) =>
        typeof(QueuedRecipient).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name != nameof(QueuedRecipient.Message))
            .ToDictionary(p => p.Name, p => p.GetValue(recipient) is byte[] bytes ? Convert.ToBase64String(bytes) : p.GetValue(recipient));
}
