using SecureFallback.Core.Pickup;

namespace SecureFallback.Core.Tests;

/// <summary>A PIN unlock holds for the account's credentials of that moment (its security stamp), not for the message.</summary>
public sealed class PickupGrantPinTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void NeedsPinFor_AfterAnUnlock_OnlyTheStampOfTheUnlockOpensWithoutThePin()
    {
        var grant = new PickupGrant { PinRequired = true, PinUnlockedAt = Now, PinUnlockedStamp = "stamp-at-unlock" };

        Assert.False(grant.NeedsPinFor("stamp-at-unlock"));
        Assert.True(grant.NeedsPinFor("stamp-after-a-reset"));
        Assert.True(grant.NeedsPinFor(null));
    }

    [Fact]
    public void NeedsPinFor_AnUnlockWithoutAStamp_OrNone_AsksForThePin_AndAGrantWithoutPinNever()
    {
        Assert.True(new PickupGrant { PinRequired = true, PinUnlockedAt = Now }.NeedsPinFor("any"));
        Assert.True(new PickupGrant { PinRequired = true }.NeedsPinFor("any"));
        Assert.False(new PickupGrant().NeedsPinFor("any"));
    }

    [Fact]
    public void PinLockedFor_FiveWrongPins_LockOnlyWhileThePinIsNeeded()
    {
        var grant = new PickupGrant { PinRequired = true, PinFailures = PickupPin.MaxFailures };
        Assert.True(grant.PinLockedFor("s"));

        (grant.PinUnlockedAt, grant.PinUnlockedStamp) = (Now, "s");
        Assert.False(grant.PinLockedFor("s"));
    }
}
