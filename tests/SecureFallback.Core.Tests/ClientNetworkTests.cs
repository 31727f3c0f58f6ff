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
}
