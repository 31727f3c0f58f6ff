using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using static SecureFallback.Core.Tests.RecipientFixtures;

namespace SecureFallback.Core.Tests;

/// <summary>Trying TLS again for held copies: which are due, and the transitions of the retry.</summary>
public sealed class HeldTlsRetryTests
{
    private static readonly HeldTlsRetry Retry = new PickupOptions().TlsRetry; // every 6 h, for the 30-day retention

    /// <summary>Held at <see cref="RecipientFixtures.ReceivedAt"/> after no STARTTLS, its DSN and notice queued.</summary>
    private static QueuedRecipient HeldNow()
    {
        var carol = Queued();
        carol.RecordAttempt(Over(NoStartTls), PickupPolicy, Rules, ReceivedAt);
        carol.DsnQueued();
        carol.PickupNoticeQueued();
        return carol;
    }

    [Fact]
    public void IsDue_AnUnreadHeldCopy_OnlyOnceRetryTlsEveryHasPassed()
    {
        var carol = HeldNow();

        Assert.Equal(ReceivedAt, carol.HeldAt);
        Assert.False(Retry.IsDue(carol, read: false, After(TimeSpan.FromHours(6) - TimeSpan.FromSeconds(1))));
        Assert.True(Retry.IsDue(carol, read: false, After(TimeSpan.FromHours(6))));
    }

    [Fact]
    public void IsDue_NeverForACopyHeldByAPickupRule_WhichTlsCannotRelease()
    {
        var carol = Queued();
        carol.RecordAttempt(Over(HostAttemptResult.PolicyPickup("rule 0")), PickupPolicy, Rules, ReceivedAt);

        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        Assert.False(Retry.IsDue(carol, read: false, After(TimeSpan.FromHours(7))));
    }

    [Fact]
    public void IsDue_NeverForACopyReadInThePortal_LockedOrSwitchedOff()
    {
        var now = After(TimeSpan.FromHours(7));
        var carol = HeldNow();

        Assert.False(Retry.IsDue(carol, read: true, now));
        Assert.False((Retry with { Enabled = false }).IsDue(carol, read: false, now));
        carol.LockPickup(now);
        Assert.False(Retry.IsDue(carol, read: false, now));
    }

    [Fact]
    public void IsDue_NotAfterRetryTlsForFromTheHold()
    {
        var carol = HeldNow();
        var retry = Retry with { For = TimeSpan.FromDays(2) };

        Assert.True(retry.IsDue(carol, read: false, After(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1))));
        Assert.False(retry.IsDue(carol, read: false, After(TimeSpan.FromDays(2))));
    }

    [Fact]
    public void IsDue_AfterATry_WaitsRetryTlsEveryAgain()
    {
        var carol = HeldNow();
        var tried = After(TimeSpan.FromHours(6));
        carol.RetryTlsAfterHold(tried);
        carol.RecordAttempt(Over(NoStartTls), PickupPolicy, Rules, tried);

        Assert.False(Retry.IsDue(carol, read: false, tried + TimeSpan.FromHours(5)));
        Assert.True(Retry.IsDue(carol, read: false, tried + TimeSpan.FromHours(6)));
    }

    [Fact]
    public void RetryTlsAfterHold_QueuesTheCopyAtOnce_KeepingItsHold()
    {
        var carol = HeldNow();
        var holdUntil = carol.HoldUntil;
        var now = After(TimeSpan.FromHours(6));

        carol.RetryTlsAfterHold(now);

        Assert.Equal(RecipientStatus.Queued, carol.Status);
        Assert.Equal(now, carol.NextAttemptAt);
        Assert.True(carol.RetryingTlsAfterHold);
        Assert.Equal(holdUntil, carol.HoldUntil);
    }

    [Fact]
    public void RetryTlsAfterHold_OfALockedCopy_Throws()
    {
        var carol = HeldNow();
        carol.LockPickup(After(TimeSpan.FromHours(1)));

        Assert.Throws<InvalidOperationException>(() => carol.RetryTlsAfterHold(After(TimeSpan.FromHours(6))));
        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
    }

    [Fact]
    public void RecordAttempt_AfterHold_StillWithoutTls_ReturnsToTheSameHoldOwingNothing()
    {
        var carol = HeldNow();
        var holdUntil = carol.HoldUntil;
        var now = After(TimeSpan.FromHours(6));
        carol.RetryTlsAfterHold(now);

        carol.RecordAttempt(Over(NoStartTls), PickupPolicy, Rules, now);

        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        Assert.Equal(holdUntil, carol.HoldUntil);
        Assert.Equal(ReceivedAt, carol.HeldAt);
        Assert.False(carol.RetryingTlsAfterHold);
        Assert.False(carol.DsnPending || carol.PickupNoticePending); // no second held DSN, no second notice
    }

    [Fact]
    public void RecordAttempt_AfterHold_TransientOrBouncePolicy_AlsoReturnsToHold()
    {
        var carol = HeldNow();
        var now = After(TimeSpan.FromHours(6));
        carol.RetryTlsAfterHold(now);

        carol.RecordAttempt(Over(BadCertificate), BouncePolicy, Rules, now); // the copy is held: never bounced now

        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        Assert.False(carol.DsnPending);
    }

    [Fact]
    public void RecordAttempt_AfterHold_DeliveredOverTls_IsDeliveredAndOwesTheDeliveredDsn()
    {
        var carol = HeldNow();
        var now = After(TimeSpan.FromHours(6));
        carol.RetryTlsAfterHold(now);

        carol.RecordAttempt(OverTls(Accepted), PickupPolicy, Rules, now); // Rules.ReportDelivered is false

        Assert.Equal(RecipientStatus.Delivered, carol.Status);
        Assert.Equal(now, carol.CompletedAt);
        Assert.True(carol.DsnPending);
        Assert.False(carol.RetryingTlsAfterHold);
        Assert.Null(carol.HoldUntil);
        Assert.StartsWith("held copy delivered", carol.Diagnostic);
    }

    [Fact]
    public void ReturnToHold_OfARecipientNotQueuedFromAHold_Throws()
    {
        var carol = Queued();

        Assert.Throws<InvalidOperationException>(() => carol.ReturnToHold(Over(NoStartTls), ReceivedAt));
    }

    [Fact]
    public void Errors_RetryTlsEveryUnderFiveMinutes_OrRetryTlsForBeyondRetention_AreNamed()
    {
        var options = new PickupOptions { RetryTlsEvery = TimeSpan.FromMinutes(4), RetryTlsFor = TimeSpan.FromDays(31) };

        var errors = options.Errors();

        Assert.Contains(errors, e => e.StartsWith("SecureFallback:Pickup:RetryTlsEvery must be at least 00:05:00", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("SecureFallback:Pickup:RetryTlsFor must be positive and at most Retention", StringComparison.Ordinal));
        Assert.Empty(new PickupOptions().Errors());
    }
}
