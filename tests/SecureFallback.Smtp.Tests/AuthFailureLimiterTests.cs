using System.Net;
using Microsoft.Extensions.Options;

namespace SecureFallback.Smtp.Tests;

public sealed class AuthFailureLimiterTests
{
    private static AuthFailureLimiter Limiter(int failures) =>
        new(Options.Create(new IntakeOptions { AuthFailuresPerAddress = failures }), TimeProvider.System);

    [Fact]
    public void TwoAddressesOfOneIpv6Slash64_ShareTheAuthLimit()
    {
        var limiter = Limiter(failures: 2);

        limiter.RecordFailure(IPAddress.Parse("2001:db8:1:2::1"));
        limiter.RecordFailure(IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));

        Assert.True(limiter.IsLimited(IPAddress.Parse("2001:db8:1:2::99")));
        Assert.False(limiter.IsLimited(IPAddress.Parse("2001:db8:1:3::1"))); // the next /64 is another network
    }

    [Fact]
    public void Ipv4Addresses_AreLimitedOneByOne_AndMappedIpv6CountsAsIpv4()
    {
        var limiter = Limiter(failures: 1);

        limiter.RecordFailure(IPAddress.Parse("192.0.2.10"));

        Assert.True(limiter.IsLimited(IPAddress.Parse("::ffff:192.0.2.10")));
        Assert.False(limiter.IsLimited(IPAddress.Parse("192.0.2.11")));
    }
}
