using SecureFallback.Core.Pickup;

namespace SecureFallback.Core.Tests;

/// <summary>What a grant remembers of its readings: the first one for the read receipt, then each new network, boundedly.</summary>
public sealed class PickupGrantReadingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void FirstReading_IsRecordedWhole_AndOwesTheReadReceipt()
    {
        var grant = NewGrant();

        Assert.Equal(new RecordedReading(GrantReading.First, null), grant.RecordReading(Now, "192.0.2.0/24", "Firefox", accountCreatedHere: true));

        Assert.Equal((Now, "192.0.2.0/24", "Firefox", true), (grant.FirstReadAt, grant.FirstReadNetwork, grant.FirstReadBrowser, grant.FirstReadAccountCreatedHere));
        Assert.True(grant.ReadReceiptPending);
        Assert.Equal(0, grant.ReopenCount);
    }

    [Fact]
    public void ReadingAgain_FromTheSameNetwork_OwesNothing_FromANewOne_OwesOneNotice()
    {
        var grant = NewGrant();
        grant.RecordReading(Now, "192.0.2.0/24", "Firefox", accountCreatedHere: true);
        grant.ReadReceiptPending = false; // the receipt went out

        Assert.Equal(new RecordedReading(GrantReading.Nothing, null), grant.RecordReading(Now.AddMinutes(5), "192.0.2.0/24", "Chrome", accountCreatedHere: true));
        var again = grant.RecordReading(Now.AddMinutes(9), "2001:db8:1:2::/64", "Chrome", accountCreatedHere: true);

        Assert.Equal(GrantReading.FromNewNetwork, again.Kind);
        Assert.Equal((grant.Id, Now.AddMinutes(9), "2001:db8:1:2::/64", "Chrome"), (again.Report!.GrantId, again.Report.ReadAt, again.Report.Network, again.Report.Browser));
        Assert.Equal(Now, grant.FirstReadAt); // the first reading is never overwritten
        Assert.False(grant.ReadReceiptPending); // and its receipt is not owed again
        Assert.Equal(GrantReading.Nothing, grant.RecordReading(Now.AddMinutes(10), "2001:db8:1:2::/64", "Chrome", accountCreatedHere: true).Kind);
    }

    [Fact]
    public void NewNetworksInQuickSuccession_EachOweAReportOfTheirOwn()
    {
        var grant = NewGrant();
        grant.RecordReading(Now, "192.0.2.0/24", "Firefox", accountCreatedHere: true);

        var decoy = grant.RecordReading(Now.AddMinutes(1), "198.51.100.0/24", "Chrome", accountCreatedHere: true);
        var attacker = grant.RecordReading(Now.AddMinutes(2), "203.0.113.0/24", "Other", accountCreatedHere: true);

        Assert.Equal(("198.51.100.0/24", "203.0.113.0/24"), (decoy.Report!.Network, attacker.Report!.Network)); // nothing kept on the grant to overwrite
        Assert.Equal("192.0.2.0/24 198.51.100.0/24 203.0.113.0/24", grant.ReadNetworks);
    }

    [Fact]
    public void NewNetworks_RaiseAtMostThreeNotices_SoTheSenderIsNeverFlooded()
    {
        var grant = NewGrant();
        grant.RecordReading(Now, "192.0.2.0/24", "Firefox", accountCreatedHere: false);

        var readings = Enumerable.Range(1, 6).Select(i => grant.RecordReading(Now.AddMinutes(i), $"198.51.{i}.0/24", "Chrome", accountCreatedHere: false)).ToList();

        Assert.Equal(PickupGrant.MaxReopenNotices, readings.Count(r => r.Kind == GrantReading.FromNewNetwork && r.Report is not null));
        Assert.Equal(3, PickupGrant.MaxReopenNotices);
        Assert.Equal(PickupGrant.MaxReopenNotices, grant.ReopenCount);
        Assert.Equal(4, grant.ReadNetworks!.Split(' ').Length); // nothing more is kept after the last notice
    }

    [Fact]
    public void AGrantReadBeforeNetworksWereKept_RemembersTheNetwork_WithoutANotice()
    {
        var grant = NewGrant();
        (grant.FirstReadAt, grant.ReadNetworks) = (Now, null); // read before the upgrade that added the networks

        Assert.Equal(new RecordedReading(GrantReading.NetworkRemembered, null), grant.RecordReading(Now.AddDays(1), "192.0.2.0/24", "Firefox", accountCreatedHere: false));

        Assert.Equal(0, grant.ReopenCount);
        Assert.Equal("192.0.2.0/24", grant.ReadNetworks);
        Assert.Equal(GrantReading.Nothing, grant.RecordReading(Now.AddDays(2), "192.0.2.0/24", "Firefox", accountCreatedHere: false).Kind);
        Assert.Equal(GrantReading.FromNewNetwork, grant.RecordReading(Now.AddDays(3), "198.51.100.0/24", "Firefox", accountCreatedHere: false).Kind);
    }

    private static PickupGrant NewGrant() =>
        PickupGrant.Issue(1, Guid.NewGuid(), "carol@plain.test", Now, Now.AddDays(30)).Grant;
}
