using SecureFallback.Core.Messages;
using static SecureFallback.Core.Tests.RecipientFixtures;

namespace SecureFallback.Core.Tests;

/// <summary>"This was not me": a held copy locked for its address, and the report to its sender that goes with it.</summary>
public sealed class PickupLockTests
{
    private static readonly DateTimeOffset HoldUntil = After(TimeSpan.FromDays(30));

    [Fact]
    public void LockPickup_OfAHeldCopy_StaysHeldButLocked_AndOwesTheSenderAReport()
    {
        var carol = Held(HoldUntil);
        var now = After(TimeSpan.FromHours(2));

        carol.LockPickup(now);

        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status); // still held: it expires and is shredded as before
        Assert.Equal(now, carol.PickupLockedAt);
        Assert.True(carol.LockReportPending);
        carol.LockReportQueued();
        Assert.False(carol.LockReportPending);
    }

    [Fact]
    public void LockPickup_FromTheNullSender_OwesNoReport()
    {
        var carol = Held(HoldUntil, Message(envelopeFrom: ""));

        carol.LockPickup(After(TimeSpan.FromHours(2)));

        Assert.NotNull(carol.PickupLockedAt);
        Assert.False(carol.LockReportPending);
    }

    [Fact]
    public void LockPickup_TwiceOrOfACopyNotHeld_Throws()
    {
        var held = Held(HoldUntil);
        held.LockPickup(After(TimeSpan.FromHours(2)));
        var queued = Queued();

        Assert.Throws<InvalidOperationException>(() => held.LockPickup(After(TimeSpan.FromHours(3))));
        Assert.Equal(After(TimeSpan.FromHours(2)), held.PickupLockedAt); // the first lock stands
        Assert.Throws<InvalidOperationException>(() => queued.LockPickup(After(TimeSpan.FromHours(3))));
        Assert.Null(queued.PickupLockedAt);
        Assert.Throws<InvalidOperationException>(() => queued.LockReportQueued());
    }

    [Fact]
    public void UnlockPickup_OfALockedCopy_OpensItAgain_AndLeavesAnOwedReportOwed()
    {
        var carol = Held(HoldUntil);
        carol.LockPickup(After(TimeSpan.FromHours(2)));

        carol.UnlockPickup();

        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        Assert.Null(carol.PickupLockedAt);
        Assert.True(carol.LockReportPending); // the sender still hears that it was locked
    }

    [Fact]
    public void UnlockPickup_OfACopyNotLockedOrNotHeld_Throws()
    {
        var held = Held(HoldUntil);
        var queued = Queued();

        Assert.Throws<InvalidOperationException>(() => held.UnlockPickup());
        Assert.Throws<InvalidOperationException>(() => queued.UnlockPickup());
    }
}
