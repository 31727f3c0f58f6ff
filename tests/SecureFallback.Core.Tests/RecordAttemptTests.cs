using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using static SecureFallback.Core.Tests.RecipientFixtures;

namespace SecureFallback.Core.Tests;

/// <summary>The decision "given this classified outcome and policy, which transition" (QueuedRecipient.RecordAttempt).</summary>
public sealed class RecordAttemptTests
{
    [Fact]
    public void RecordAttempt_DeliveredOverTls_IsDeliveredWithTheSessionInTheDiagnostic()
    {
        var carol = Queued();
        var now = After(TimeSpan.FromMinutes(2));

        carol.RecordAttempt(OverTls(Accepted), PickupPolicy, Rules, now);

        Assert.Equal(RecipientStatus.Delivered, carol.Status);
        Assert.Equal(now, carol.CompletedAt);
        Assert.Equal("delivered over Tls13 (TLS_AES_256_GCM_SHA384); 250 2.0.0 queued as 42", carol.Diagnostic);
        Assert.False(carol.DeliveredInClear);
        Assert.False(carol.DsnPending); // delivery reports are off
        Assert.False(carol.PickupNoticePending);
        Assert.Equal(1, carol.AttemptCount);
        Assert.Equal(DeliveryOutcome.Delivered, carol.LastOutcome);
        Assert.Equal("2.0.0", carol.StatusCode);
        Assert.Equal("mx.plain.test", carol.RemoteHost);
        Assert.Null(carol.LeaseOwner);
        Assert.Equal(TlsLevel.Encrypt, carol.PolicyLevel);
        Assert.Equal(FailureAction.Pickup, carol.PolicyAction);
        Assert.Equal("policy default", carol.PolicySource);
    }

    [Fact]
    public void RecordAttempt_DeliveredWithReportsOn_OwesADsn_ButNotToTheNullSender()
    {
        var fromAlice = Queued();
        var fromNullSender = Queued(Message(envelopeFrom: ""));
        var rules = Rules with { ReportDelivered = true };

        fromAlice.RecordAttempt(OverTls(Accepted), PickupPolicy, rules, ReceivedAt);
        fromNullSender.RecordAttempt(OverTls(Accepted), PickupPolicy, rules, ReceivedAt);

        Assert.True(fromAlice.DsnPending);
        Assert.False(fromNullSender.DsnPending);
    }

    [Fact]
    public void RecordAttempt_DeliveredInClear_RecordsTheFactAndSaysSoInTheDiagnostic()
    {
        var carol = Queued();

        carol.RecordAttempt(Over(Accepted), PlainPolicy, Rules, ReceivedAt);

        Assert.Equal(RecipientStatus.Delivered, carol.Status);
        Assert.True(carol.DeliveredInClear);
        Assert.Equal("delivered WITHOUT TLS (deliver-plain test mode of policy lab.test); 250 2.0.0 queued as 42", carol.Diagnostic);
    }

    [Fact]
    public void RecordAttempt_NoticeDeliveredWithoutTls_IsNotADeliveryInClear()
    {
        var notified = Queued(Message(envelopeFrom: "", kind: MessageKind.PickupNotice));

        notified.RecordAttempt(Over(Accepted), PickupPolicy, Rules, ReceivedAt);

        Assert.Equal(RecipientStatus.Delivered, notified.Status);
        Assert.False(notified.DeliveredInClear);
        Assert.Equal("250 2.0.0 queued as 42", notified.Diagnostic);
    }

    [Fact]
    public void RecordAttempt_TransientWithinTheMaximumQueueTime_RetriesOnTheSchedule()
    {
        var carol = Queued();
        var first = After(TimeSpan.FromMinutes(1));
        var second = After(TimeSpan.FromMinutes(3));

        carol.RecordAttempt(Over(Down), PickupPolicy, Rules, first);
        Assert.Equal(first + TimeSpan.FromMinutes(1), carol.NextAttemptAt);
        carol.RecordAttempt(Over(Down), PickupPolicy, Rules, second);

        Assert.Equal(RecipientStatus.Queued, carol.Status);
        Assert.Equal(second + TimeSpan.FromMinutes(5), carol.NextAttemptAt);
        Assert.Equal(2, carol.AttemptCount);
        Assert.Equal(FailureReason.ConnectionFailed, carol.Reason);
        Assert.Null(carol.CompletedAt);
        Assert.False(carol.DsnPending);
    }

    [Fact]
    public void RecordAttempt_TransientAtTheMaximumQueueTime_GivesUpWith447()
    {
        var carol = Queued();
        var now = After(TimeSpan.FromDays(5));

        carol.RecordAttempt(Over(Down), PickupPolicy, Rules, now);

        Assert.Equal(RecipientStatus.Failed, carol.Status);
        Assert.Equal("4.4.7", carol.StatusCode);
        Assert.Equal(FailureReason.QueueExpired, carol.Reason);
        Assert.Equal("gave up after 1 attempts; last error: connection refused", carol.Diagnostic);
        Assert.Equal(now, carol.CompletedAt);
        Assert.True(carol.DsnPending);
    }

    [Fact]
    public void RecordAttempt_TlsFailureUnderRetryThenPickup_RetriesWithinRetryTlsFor()
    {
        var carol = Queued();
        var now = After(TimeSpan.FromHours(3));

        carol.RecordAttempt(Over(BadCertificate), RetryThenPickupPolicy, Rules, now);

        Assert.Equal(RecipientStatus.Queued, carol.Status);
        Assert.Equal(now + TimeSpan.FromMinutes(1), carol.NextAttemptAt);
        Assert.Equal(DeliveryOutcome.TlsFailed, carol.LastOutcome);
        Assert.Null(carol.HoldUntil);
        Assert.False(carol.PickupNoticePending);
    }

    [Fact]
    public void RecordAttempt_TlsFailureUnderRetryThenPickup_HoldsOnceRetryTlsForHasPassed()
    {
        var carol = Queued();
        var now = After(TimeSpan.FromHours(4));

        carol.RecordAttempt(Over(BadCertificate), RetryThenPickupPolicy, Rules, now);

        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        Assert.Equal(now + TimeSpan.FromDays(30), carol.HoldUntil);
    }

    [Fact]
    public void RecordAttempt_ForcePickup_HoldsAtOnceEvenUnderRetryThenPickupOrBounce()
    {
        var retrying = Queued();
        var bouncing = Queued();

        retrying.RecordAttempt(Over(PolicyPickup), RetryThenPickupPolicy with { ForcePickup = true }, Rules, ReceivedAt);
        bouncing.RecordAttempt(Over(PolicyPickup), BouncePolicy with { ForcePickup = true }, Rules, ReceivedAt);

        Assert.Equal(RecipientStatus.HeldForPickup, retrying.Status);
        Assert.Equal(RecipientStatus.HeldForPickup, bouncing.Status);
        Assert.Equal(FailureReason.PolicyPickup, bouncing.Reason);
    }

    [Fact]
    public void RecordAttempt_TlsFailureUnderPickup_HoldsAndOwesADsnAndANotice()
    {
        var carol = Queued();
        var now = After(TimeSpan.FromMinutes(1));

        carol.RecordAttempt(Over(NoStartTls), PickupPolicy, Rules, now);

        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        Assert.Equal(now + TimeSpan.FromDays(30), carol.HoldUntil);
        Assert.Equal("2.0.0", carol.StatusCode);
        Assert.Equal(FailureReason.StartTlsNotSupported, carol.Reason);
        Assert.Null(carol.CompletedAt);
        Assert.True(carol.DsnPending);
        Assert.True(carol.PickupNoticePending);
    }

    [Theory]
    [InlineData(FailureReason.StartTlsNotSupported, "5.7.10")]
    [InlineData(FailureReason.CertificateNotTrusted, "5.7.10")]
    [InlineData(FailureReason.RequireTlsNotSupported, "5.7.30")]
    public void RecordAttempt_TlsFailureUnderBounce_FailsWithEncryptionNeeded(string reason, string statusCode)
    {
        var carol = Queued();
        var result = reason == FailureReason.RequireTlsNotSupported ? NoRequireTls : reason == FailureReason.StartTlsNotSupported ? NoStartTls : BadCertificate;

        carol.RecordAttempt(Over(result), BouncePolicy, Rules, ReceivedAt);

        Assert.Equal(RecipientStatus.Failed, carol.Status);
        Assert.Equal(statusCode, carol.StatusCode);
        Assert.Equal(reason, carol.Reason);
        Assert.True(carol.DsnPending);
        Assert.False(carol.PickupNoticePending);
    }

    [Fact]
    public void RecordAttempt_Permanent_FailsWithTheReceiversStatus()
    {
        var carol = Queued();

        carol.RecordAttempt(OverTls(Rejected), PickupPolicy, Rules, ReceivedAt);

        Assert.Equal(RecipientStatus.Failed, carol.Status);
        Assert.Equal("5.1.1", carol.StatusCode);
        Assert.Equal("550 5.1.1 no such user", carol.Diagnostic);
        Assert.Equal(ReceivedAt, carol.CompletedAt);
        Assert.True(carol.DsnPending);
    }

    [Fact]
    public void RecordAttempt_KeepsAtMost1024CharactersOfDiagnosticAnd512OfPolicySource()
    {
        var carol = Queued();

        carol.RecordAttempt(Over(Rejected with { Diagnostic = new string('x', 2000) }), PickupPolicy with { Source = new string('p', 600) }, Rules, ReceivedAt);

        Assert.Equal(1024, carol.Diagnostic!.Length);
        Assert.Equal(512, carol.PolicySource!.Length);
    }

    [Theory]
    [InlineData(RecipientStatus.Delivered)]
    [InlineData(RecipientStatus.Failed)]
    [InlineData(RecipientStatus.HeldForPickup)]
    public void RecordAttempt_WhenNotQueued_Throws(RecipientStatus status)
    {
        var carol = Queued();
        var firstResult = status switch { RecipientStatus.Delivered => Accepted, RecipientStatus.Failed => Rejected, _ => NoStartTls };
        carol.RecordAttempt(OverTls(firstResult), PickupPolicy, Rules, ReceivedAt);
        Assert.Equal(status, carol.Status);

        Assert.Throws<InvalidOperationException>(() => carol.RecordAttempt(OverTls(Accepted), PickupPolicy, Rules, ReceivedAt));
        Assert.Equal(1, carol.AttemptCount);
    }
}
