using System.Net;

namespace SecureFallback.Core.Tests;

public sealed class ClientNetworkTests
{
    [Theory]
    [InlineData("192.0.2.10", "192.0.2.10")]
    [InlineData("::ffff:192.0.2.10", "192.0.2.10")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    [InlineData("fe80::1%3", "fe80::/64")]
    [InlineData("::1", "::/64")]
    public void KeyOf_CountsIpv6ByItsSlash64_AndIpv4ByAddress(string address, string expected) =>
        Assert.Equal(expected, ClientNetwork.KeyOf(IPAddress.Parse(address)));

    [Fact]
    public void KeyOf_TwoAddressesOfOneSlash64_AreOneNetwork_AndNeighbouringNetworksAreNot()
    {
        Assert.Equal(ClientNetwork.KeyOf(IPAddress.Parse("2001:db8::1")), ClientNetwork.KeyOf(IPAddress.Parse("2001:db8::ffff:1")));
        Assert.NotEqual(ClientNetwork.KeyOf(IPAddress.Parse("2001:db8::1")), ClientNetwork.KeyOf(IPAddress.Parse("2001:db8:0:1::1")));
        Assert.NotEqual(ClientNetwork.KeyOf(IPAddress.Parse("192.0.2.1")), ClientNetwork.KeyOf(IPAddress.Parse("192.0.2.2")));
    }

    [Theory]
    [InlineData("192.0.2.10", "192.0.2.0/24")]
    [InlineData("192.0.2.254", "192.0.2.0/24")]
    [InlineData("::ffff:198.51.100.7", "198.51.100.0/24")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("::1", "::/64")]
    public void ReadingNetworkOf_KeepsOnlyTheNetwork_Slash24ForIpv4AndSlash64ForIpv6(string address, string expected) =>
        Assert.Equal(expected, ClientNetwork.ReadingNetworkOf(IPAddress.Parse(address)));

    [Fact]
    public void ReadingNetworkOf_OneHouseholdIsOneNetwork_AnotherProviderIsAnother()
    {
        Assert.Equal(ClientNetwork.ReadingNetworkOf(IPAddress.Parse("203.0.113.5")), ClientNetwork.ReadingNetworkOf(IPAddress.Parse("203.0.113.77")));
        Assert.NotEqual(ClientNetwork.ReadingNetworkOf(IPAddress.Parse("203.0.113.5")), ClientNetwork.ReadingNetworkOf(IPAddress.Parse("203.0.114.5")));
    }
}
