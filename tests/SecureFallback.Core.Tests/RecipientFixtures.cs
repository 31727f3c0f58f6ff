using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;

namespace SecureFallback.Core.Tests;

/// <summary>Messages, recipients, attempts and policies for the recipient state machine tests.</summary>
internal static class RecipientFixtures
{
    public static readonly DateTimeOffset ReceivedAt = new(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);

    public static readonly HostAttemptResult Accepted = new(DeliveryOutcome.Delivered, null, "250 2.0.0 queued as 42", "2.0.0");
    public static readonly HostAttemptResult Down = new(DeliveryOutcome.Transient, FailureReason.ConnectionFailed, "connection refused", "4.4.1");
    public static readonly HostAttemptResult NoStartTls = new(DeliveryOutcome.TlsUnavailable, FailureReason.StartTlsNotSupported, "no STARTTLS", "5.7.10");
    public static readonly HostAttemptResult BadCertificate = new(DeliveryOutcome.TlsFailed, FailureReason.CertificateNotTrusted, "untrusted", "5.7.10");
    public static readonly HostAttemptResult NoRequireTls = new(DeliveryOutcome.TlsFailed, FailureReason.RequireTlsNotSupported, "no REQUIRETLS", "5.7.10");
    public static readonly HostAttemptResult PolicyPickup = new(DeliveryOutcome.TlsUnavailable, FailureReason.PolicyPickup, "a rule sends this to pickup", null);
    public static readonly HostAttemptResult Rejected = new(DeliveryOutcome.Permanent, FailureReason.PermanentReply, "550 5.1.1 no such user", "5.1.1");

    public static readonly QueueRules Rules = new(
        MaxQueueTime: TimeSpan.FromDays(5),
        PickupRetention: TimeSpan.FromDays(30),
        Retry: new RetrySchedule([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30)]),
        ReportDelivered: false);

    public static readonly PolicyDecision PickupPolicy = new(TlsLevel.Encrypt, FailureAction.Pickup, TimeSpan.FromHours(4), false, "policy default");
    public static readonly PolicyDecision BouncePolicy = new(TlsLevel.Verify, FailureAction.Bounce, TimeSpan.FromHours(4), false, "policy bank.test");
    public static readonly PolicyDecision RetryThenPickupPolicy = new(TlsLevel.Encrypt, FailureAction.RetryThenPickup, TimeSpan.FromHours(4), false, "policy slow.test");
    public static readonly PolicyDecision PlainPolicy = new(TlsLevel.Encrypt, FailureAction.DeliverPlain, TimeSpan.FromHours(4), false, "policy lab.test");

    public static QueuedMessage Message(string envelopeFrom = "alice@sender.test", MessageKind kind = MessageKind.Submitted) =>
        new() { Id = Guid.NewGuid(), EnvelopeFrom = envelopeFrom, ReceivedAt = ReceivedAt, Kind = kind };

    /// <summary>A queued recipient of <paramref name="message"/> (a new message from alice when not given).</summary>
    public static QueuedRecipient Queued(QueuedMessage? message = null)
    {
        message ??= Message();
        var recipient = QueuedRecipient.Create(message.Id, "Carol@Plain.Test.", message.ReceivedAt);
        recipient.Message = message;
        message.Recipients.Add(recipient);
        return recipient;
    }

    /// <summary>A recipient held for pickup until <paramref name="holdUntil"/>.</summary>
    public static QueuedRecipient Held(DateTimeOffset holdUntil, QueuedMessage? message = null)
    {
        var recipient = Queued(message);
        recipient.HoldForPickup(new RecipientAttempt(NoStartTls, "mx.plain.test"), holdUntil);
        return recipient;
    }

    public static RecipientAttempt Over(HostAttemptResult result, string host = "mx.plain.test") => new(result, host);

    public static RecipientAttempt OverTls(HostAttemptResult result, string host = "mx.plain.test") => new(result, host, "Tls13", "TLS_AES_256_GCM_SHA384");

    public static DateTimeOffset After(TimeSpan elapsed) => ReceivedAt + elapsed;
}
