using System.Net;
using DnsClient;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Delivery;
using SecureFallback.Delivery.Routing;
using SecureFallback.Delivery.Transport;
using SecureFallback.TestKit;

namespace SecureFallback.Delivery.Tests;

public sealed class NextHopResolverTests : IAsyncDisposable
{
    private readonly TestDnsServer _dns = new();

    [Fact]
    public async Task Resolve_WithMxRecords_ReturnsHostsInPreferenceOrderWithTheirAddresses()
    {
        _dns.Mx("example.test", 20, "backup.example.test").Mx("example.test", 10, "mx1.example.test")
            .Address("mx1.example.test", "192.0.2.1").Address("mx1.example.test", "2001:db8::1")
            .Address("backup.example.test", "192.0.2.2");

        var resolution = await Resolver().ResolveAsync("example.test", CancellationToken.None);

        Assert.Null(resolution.Failure);
        Assert.Equal(["mx1.example.test", "backup.example.test"], resolution.Hosts.Select(h => h.HostName));
        Assert.Equal([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")], resolution.Hosts[0].Addresses);
        Assert.All(resolution.Hosts, h => Assert.Equal(25, h.Port));
    }

    [Fact]
    public async Task Resolve_WithoutMx_FallsBackToTheDomainsOwnAddress()
    {
        _dns.Address("nomx.test", "192.0.2.7");

        var resolution = await Resolver().ResolveAsync("nomx.test", CancellationToken.None);

        var host = Assert.Single(resolution.Hosts);
        Assert.Equal("nomx.test", host.HostName);
        Assert.Equal([IPAddress.Parse("192.0.2.7")], host.Addresses);
    }

    [Fact]
    public async Task Resolve_NullMx_IsAPermanentFailure()
    {
        _dns.Mx("nullmx.test", 0, ".");

        var resolution = await Resolver().ResolveAsync("nullmx.test", CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Permanent, resolution.Failure!.Outcome);
        Assert.Equal(FailureReason.NullMx, resolution.Failure.Reason);
        Assert.Equal("5.1.10", resolution.Failure.StatusCode);
    }

    [Fact]
    public async Task Resolve_NxDomain_IsAPermanentFailure()
    {
        _dns.NonExistent.Add("gone.test");

        var resolution = await Resolver().ResolveAsync("gone.test", CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Permanent, resolution.Failure!.Outcome);
        Assert.Equal(FailureReason.DomainNotFound, resolution.Failure.Reason);
    }

    [Theory]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234.test")] // a 64-octet label
    [InlineData("a..test")]
    public async Task Resolve_ImpossibleDomain_IsAPermanentFailure_NotAnError(string domain)
    {
        // DnsClient throws on such a name; the recipients would wait in the queue until they expired (fuzz finding).
        var resolution = await Resolver().ResolveAsync(domain, CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Permanent, resolution.Failure!.Outcome);
        Assert.Equal(FailureReason.DomainNotFound, resolution.Failure.Reason);
        Assert.Equal("5.1.2", resolution.Failure.StatusCode);
    }

    [Theory]
    [InlineData("example.test", true)]
    [InlineData("a23456789012345678901234567890123456789012345678901234567890123.test", true)] // 63 octets: the most
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234.test", false)]
    [InlineData("bücher.test", true)] // xn--bcher-kva.test
    [InlineData("[192.0.2.1]", true)]
    [InlineData("example.test.", true)]
    [InlineData("a..test", false)]
    [InlineData("", false)]
    public void DomainName_IsValid_AsDnsWouldTakeIt(string domain, bool valid)
    {
        Assert.Equal(valid, SecureFallback.Core.Messages.DomainName.IsValid(domain));
    }

    [Fact]
    public void DomainName_OverAllLength_IsInvalid()
    {
        var labels = string.Join('.', Enumerable.Repeat(new string('a', 63), 4)); // 255 octets
        Assert.False(SecureFallback.Core.Messages.DomainName.IsValid(labels));
        Assert.True(SecureFallback.Core.Messages.DomainName.IsValid(labels[..253]));
    }

    [Fact]
    public async Task Resolve_ServFail_IsTransient()
    {
        _dns.ServerFailure.Add("broken.test");

        var resolution = await Resolver().ResolveAsync("broken.test", CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, resolution.Failure!.Outcome);
        Assert.Equal(FailureReason.DnsTemporaryFailure, resolution.Failure.Reason);
    }

    [Fact]
    public async Task Resolve_Timeout_IsTransient()
    {
        _dns.Silent.Add("slow.test");

        var resolution = await Resolver().ResolveAsync("slow.test", CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, resolution.Failure!.Outcome);
    }

    [Fact]
    public async Task Resolve_WithAStaticRoute_SkipsDnsAndUsesTheRoutePort()
    {
        var resolver = Resolver(new Dictionary<string, string> { ["routed.test"] = "127.0.0.1:2601" });

        var resolution = await resolver.ResolveAsync("ROUTED.test", CancellationToken.None);

        var host = Assert.Single(resolution.Hosts);
        Assert.Equal(2601, host.Port);
        Assert.Equal([IPAddress.Loopback], host.Addresses);
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(false, true, false)] // an unsigned MX answer could have been forged: DANE cannot apply
    [InlineData(true, false, false)]
    public async Task Resolve_MarksAHostDnssecSecure_OnlyWhenItsMxAndAddressAnswersWereAuthenticated(bool mxAuthenticated, bool addressAuthenticated, bool secure)
    {
        _dns.Mx("signed.test", 10, "mx.signed.test").Address("mx.signed.test", "192.0.2.9");
        if (mxAuthenticated)
        {
            _dns.Authenticated.Add("signed.test");
        }

        if (addressAuthenticated)
        {
            _dns.Authenticated.Add("mx.signed.test");
        }

        var resolution = await Resolver().ResolveAsync("signed.test", CancellationToken.None);

        Assert.Equal(secure, Assert.Single(resolution.Hosts).DnssecSecure);
    }

    [Fact]
    public async Task Resolve_AnAuthenticatedAAnswer_KeepsTheHostDnssecSecure_WhenItsAaaaLookupFails()
    {
        // A failed AAAA lookup gives no addresses to use; it must not turn DANE off for the authenticated A answer
        // (an attacker who can break one lookup would otherwise get the downgrade a failed TLSA lookup no longer gives).
        _dns.Mx("signed.test", 10, "mx.signed.test").Address("mx.signed.test", "192.0.2.9");
        _dns.Authenticated.Add("signed.test");
        _dns.Authenticated.Add("mx.signed.test");
        _dns.ServerFailureOfType.Add(("mx.signed.test", 28));

        var resolution = await Resolver().ResolveAsync("signed.test", CancellationToken.None);

        var host = Assert.Single(resolution.Hosts);
        Assert.Equal([IPAddress.Parse("192.0.2.9")], host.Addresses);
        Assert.True(host.DnssecSecure);
    }

    private DnsNextHopResolver Resolver(Dictionary<string, string>? routes = null)
    {
        var options = new DeliveryOptions { HeloName = "sf.test", Routes = new(routes ?? [], StringComparer.OrdinalIgnoreCase) };
        var lookup = new LookupClient(new LookupClientOptions(_dns.EndPoint)
        {
            UseCache = false,
            Timeout = TimeSpan.FromSeconds(2), // generous: the first answer comes while test hosts start up in parallel
            Retries = 0,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
        });
        return new DnsNextHopResolver(Options.Create(options), lookup);
    }

    public ValueTask DisposeAsync() => _dns.DisposeAsync();
}

public sealed class SessionCacheKeyTests
{
    [Fact]
    public void KeyOf_TellsAHostReachedThroughSignedDnsFromTheSameHostReachedThroughUnsignedDns()
    {
        // Only a host reached through DNSSEC-authenticated answers has its TLSA checked when the session is opened.
        var signed = new NextHop("mx.provider.test", 25, [IPAddress.Loopback], DnssecSecure: true);

        Assert.NotEqual(SessionCache.KeyOf(signed), SessionCache.KeyOf(signed with { DnssecSecure = false }));
        Assert.Equal(SessionCache.KeyOf(signed), SessionCache.KeyOf(signed with { HostName = "MX.Provider.test" }));
    }
}
