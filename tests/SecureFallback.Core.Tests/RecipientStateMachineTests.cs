using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using static SecureFallback.Core.Tests.RecipientFixtures;

namespace SecureFallback.Core.Tests;

/// <summary>Each transition of a recipient on its own: what it sets, which outbox flags it raises, where it may start.</summary>
public sealed class RecipientStateMachineTests
{
    private static readonly DateTimeOffset HoldUntil = After(TimeSpan.FromDays(30));

    [Fact]
    public void Create_IsQueuedAndDueAtOnce_GroupedByItsLowerCaseDomain()
    {
        var carol = Queued();

        Assert.Equal(RecipientStatus.Queued, carol.Status);
        Assert.Equal(ReceivedAt, carol.NextAttemptAt);
        Assert.Equal("plain.test", carol.Domain);
        Assert.Equal(0, carol.AttemptCount);
        Assert.False(carol.DsnPending || carol.PickupNoticePending || carol.DeliveredInClear);
    }

    [Fact]
    public void ExpireHold_Unread_EndsWith547AndOwesADsn()
    {
        var carol = Held(HoldUntil);
        var now = HoldUntil + TimeSpan.FromMinutes(1);

        carol.ExpireHold(wasRead: false, now);

        Assert.Equal(RecipientStatus.PickupExpired, carol.Status);
        Assert.Equal("5.4.7", carol.StatusCode);
        Assert.Equal(now, carol.CompletedAt);
        Assert.True(carol.DsnPending);
    }

    [Fact]
    public void ExpireHold_Read_EndsWith200AndOwesNoDsn()
    {
        var carol = Held(HoldUntil);

        carol.ExpireHold(wasRead: true, HoldUntil);

        Assert.Equal(RecipientStatus.PickupExpired, carol.Status);
        Assert.Equal("2.0.0", carol.StatusCode);
        Assert.False(carol.DsnPending); // even though the hold's own DSN was still owed
    }

    [Fact]
    public void ExpireHold_BeforeHoldUntil_Throws()
    {
        var carol = Held(HoldUntil);

        Assert.Throws<InvalidOperationException>(() => carol.ExpireHold(wasRead: false, HoldUntil - TimeSpan.FromSeconds(1)));
        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
    }

    [Fact]
    public void Requeue_OfAHeldCopy_QueuesItAtOnceWithoutAHold()
    {
        var carol = Held(HoldUntil);
        var now = After(TimeSpan.FromDays(2));

        carol.Requeue(now);

        Assert.Equal(RecipientStatus.Queued, carol.Status);
        Assert.Equal(now, carol.NextAttemptAt);
        Assert.Null(carol.HoldUntil);
        carol.RecordAttempt(OverTls(Accepted), PickupPolicy, Rules, now); // and it may be attempted again
        Assert.Equal(2, carol.AttemptCount);
    }

    [Fact]
    public void Requeue_OfAQueuedRecipient_MakesItDueNow()
    {
        var carol = Queued();
        carol.ScheduleRetry(Over(Down), Rules.Retry, ReceivedAt);
        var now = After(TimeSpan.FromSeconds(10));

        carol.Requeue(now);

        Assert.Equal(now, carol.NextAttemptAt);
        Assert.Equal(RecipientStatus.Queued, carol.Status);
    }

    [Fact]
    public void DeleteByAdmin_FailsWith530AndOwesADsn()
    {
        var carol = Held(HoldUntil);
        var now = After(TimeSpan.FromHours(1));

        carol.DeleteByAdmin("admin@sf.test", now);

        Assert.Equal(RecipientStatus.Failed, carol.Status);
        Assert.Equal("5.3.0", carol.StatusCode);
        Assert.Equal(FailureReason.DeletedByAdmin, carol.Reason);
        Assert.Equal("removed from the queue by an administrator (admin@sf.test)", carol.Diagnostic);
        Assert.Equal(now, carol.CompletedAt);
        Assert.True(carol.DsnPending);
    }

    [Fact]
    public void OutboxFlags_AreClearedOnceEachWithoutChangingTheState()
    {
        var carol = Held(HoldUntil);

        carol.PickupNoticeQueued();
        carol.DsnQueued();

        Assert.False(carol.PickupNoticePending);
        Assert.False(carol.DsnPending);
        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        Assert.Throws<InvalidOperationException>(carol.PickupNoticeQueued);
        Assert.Throws<InvalidOperationException>(carol.DsnQueued);
    }

    [Fact]
    public void NullSender_IsNeverOwedADsn_WhateverTheTransition()
    {
        QueuedRecipient FromNullSender() => Queued(Message(envelopeFrom: ""));
        var gaveUp = FromNullSender();
        var held = FromNullSender();
        var bounced = FromNullSender();
        var failed = FromNullSender();
        var deleted = FromNullSender();
        var expired = FromNullSender();

        gaveUp.GiveUp(Over(Down), ReceivedAt);
        held.HoldForPickup(Over(NoStartTls), HoldUntil);
        bounced.Bounce(Over(NoStartTls), ReceivedAt);
        failed.Fail(Over(Rejected), ReceivedAt);
        deleted.DeleteByAdmin("admin", ReceivedAt);
        expired.HoldForPickup(Over(NoStartTls), HoldUntil);
        expired.ExpireHold(wasRead: false, HoldUntil);

        Assert.All([gaveUp, held, bounced, failed, deleted, expired], r => Assert.False(r.DsnPending));
        Assert.True(held.PickupNoticePending); // the recipient still learns where to pick the copy up
        Assert.Equal(RecipientStatus.PickupExpired, expired.Status);
    }

    [Fact]
    public void FinalRecipients_AcceptNoFurtherTransition()
    {
        var delivered = Queued();
        delivered.Deliver(OverTls(Accepted), "policy default", reportDelivered: false, ReceivedAt);
        var expired = Held(HoldUntil);
        expired.ExpireHold(wasRead: true, HoldUntil);

        foreach (var final in new[] { delivered, expired })
        {
            Assert.Throws<InvalidOperationException>(() => final.Deliver(OverTls(Accepted), "policy default", false, ReceivedAt));
            Assert.Throws<InvalidOperationException>(() => final.ScheduleRetry(Over(Down), Rules.Retry, ReceivedAt));
            Assert.Throws<InvalidOperationException>(() => final.GiveUp(Over(Down), ReceivedAt));
            Assert.Throws<InvalidOperationException>(() => final.HoldForPickup(Over(NoStartTls), HoldUntil));
            Assert.Throws<InvalidOperationException>(() => final.Bounce(Over(NoStartTls), ReceivedAt));
            Assert.Throws<InvalidOperationException>(() => final.Fail(Over(Rejected), ReceivedAt));
            Assert.Throws<InvalidOperationException>(() => final.Requeue(ReceivedAt));
            Assert.Throws<InvalidOperationException>(() => final.DeleteByAdmin("admin", ReceivedAt));
            Assert.Throws<InvalidOperationException>(() => final.ExpireHold(false, HoldUntil));
        }

        Assert.Equal(RecipientStatus.Delivered, delivered.Status);
        Assert.Equal(RecipientStatus.PickupExpired, expired.Status);
    }

    [Fact]
    public void HeldRecipients_AreNotAttemptedOrExpiredTwice()
    {
        var carol = Held(HoldUntil);

        Assert.Throws<InvalidOperationException>(() => carol.Deliver(OverTls(Accepted), "policy default", false, ReceivedAt));
        Assert.Throws<InvalidOperationException>(() => carol.HoldForPickup(Over(NoStartTls), HoldUntil));
        Assert.Throws<InvalidOperationException>(() => Queued().ExpireHold(false, HoldUntil));
        Assert.Equal(1, carol.AttemptCount);
    }

    [Fact]
    public void AttemptTransitions_RefuseAnAttemptThatDoesNotLeadToThem()
    {
        var carol = Queued();

        Assert.Throws<ArgumentException>(() => carol.Deliver(Over(Down), "policy default", false, ReceivedAt));
        Assert.Throws<ArgumentException>(() => carol.HoldForPickup(Over(Accepted), HoldUntil));
        Assert.Throws<ArgumentException>(() => carol.Bounce(Over(Rejected), ReceivedAt));
        Assert.Throws<ArgumentException>(() => carol.Fail(Over(NoStartTls), ReceivedAt));
        Assert.Throws<ArgumentException>(() => carol.GiveUp(Over(Rejected), ReceivedAt));
        Assert.Throws<ArgumentException>(() => carol.ScheduleRetry(Over(Accepted), Rules.Retry, ReceivedAt));
        Assert.Equal(RecipientStatus.Queued, carol.Status);
        Assert.Equal(0, carol.AttemptCount);
    }

    [Fact]
    public void TransitionsThatMayOweADsn_NeedTheMessageLoaded()
    {
        var orphan = QueuedRecipient.Create(Guid.NewGuid(), "carol@plain.test", ReceivedAt);

        Assert.Throws<InvalidOperationException>(() => orphan.Fail(Over(Rejected), ReceivedAt));
        Assert.Throws<InvalidOperationException>(() => orphan.DeleteByAdmin("admin", ReceivedAt));
        Assert.Equal(RecipientStatus.Queued, orphan.Status); // checked before anything changed
        Assert.Equal(0, orphan.AttemptCount);
    }
}
