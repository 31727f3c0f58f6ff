using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using static SecureFallback.Core.Tests.RecipientFixtures;

namespace SecureFallback.Core.Tests;

/// <summary>Mail we generate follows the rules of its kind: a TLS failure never holds it for pickup, nor bounces it.</summary>
public sealed class GeneratedMailAttemptTests
{
    public static TheoryData<MessageKind> GeneratedKinds =>
        [MessageKind.PickupNotice, MessageKind.AccountNotice, MessageKind.DeliveryStatusNotification, MessageKind.ReadReceipt, MessageKind.TlsReport];

    [Fact]
    public void OnlySubmittedMail_MayBeHeldForPickup()
    {
        Assert.True(MessageKind.Submitted.MayBeHeldForPickup());
        Assert.All([MessageKind.PickupNotice, MessageKind.AccountNotice, MessageKind.DeliveryStatusNotification, MessageKind.ReadReceipt, MessageKind.TlsReport], kind => Assert.False(kind.MayBeHeldForPickup()));
        Assert.True(MessageKind.TlsReport.MayTravelWithoutTls()); // RFC 8460 5.1: a report must get through where TLS fails
    }

    [Theory]
    [MemberData(nameof(GeneratedKinds))]
    public void RecordAttempt_GeneratedMailWithoutTheTlsItNeeds_IsRetried_NotHeld(MessageKind kind)
    {
        foreach (var policy in new[] { PickupPolicy, BouncePolicy, RetryThenPickupPolicy })
        {
            var notice = Queued(Message(envelopeFrom: "", kind: kind));
            var now = After(TimeSpan.FromDays(1)); // past any RetryTlsFor

            notice.RecordAttempt(OverTls(BadCertificate), policy, Rules, now);

            Assert.Equal(RecipientStatus.Queued, notice.Status);
            Assert.False(notice.PickupNoticePending);
            Assert.False(notice.DsnPending);
            Assert.Equal(FailureReason.CertificateNotTrusted, notice.Reason);
            Assert.Equal(now + TimeSpan.FromMinutes(1), notice.NextAttemptAt);
        }
    }

    [Theory]
    [MemberData(nameof(GeneratedKinds))]
    public void RecordAttempt_GeneratedMailStillWithoutTlsAfterTheQueueTime_FailsWithoutADsn(MessageKind kind)
    {
        var notice = Queued(Message(envelopeFrom: "", kind: kind));
        var now = After(Rules.MaxQueueTime);

        notice.RecordAttempt(Over(NoStartTls), PickupPolicy, Rules, now);

        Assert.Equal(RecipientStatus.Failed, notice.Status);
        Assert.Equal((FailureReason.QueueExpired, "4.4.7"), (notice.Reason, notice.StatusCode));
        Assert.Null(notice.HoldUntil);
        Assert.False(notice.PickupNoticePending);
        Assert.False(notice.DsnPending); // the null sender gets no report
    }

    [Fact]
    public void RecordAttempt_SubmittedMailWithoutTls_IsStillHeld()
    {
        var carol = Queued();

        carol.RecordAttempt(OverTls(BadCertificate), PickupPolicy, Rules, ReceivedAt);

        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        Assert.True(carol.PickupNoticePending);
    }
}
