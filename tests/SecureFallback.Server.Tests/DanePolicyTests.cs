using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Reporting;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// DANE fails closed (RFC 7672 2.2): a TLSA lookup that fails makes the host unusable for the attempt; TLSA records
/// count only where the MX and address answers were DNSSEC-authenticated too.
/// </summary>
public sealed class DanePolicyTests : IAsyncLifetime
{
    private const string Domain = "dane.test";
    private readonly TestDnsServer _dns = new();

    public Task InitializeAsync() => Task.CompletedTask;

    private Task<SecureFallbackInstance> StartAsync(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["SecureFallback:Dns:Servers:0"] = _dns.EndPoint.ToString(),
            ["SecureFallback:Dns:Timeout"] = "00:00:01", // the time-out case waits for three of these
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return SecureFallbackInstance.StartAsync(settings);
    }

    private static bool IsBob(QueuedRecipient r) => r.Address == $"bob@{Domain}" && r.Message!.Kind == MessageKind.Submitted;

    [Theory]
    [InlineData("servfail", FailureReason.DnssecInvalid)]
    [InlineData("timeout", FailureReason.DnssecInvalid)]
    [InlineData("garbage", FailureReason.DnssecInvalid)]
    public async Task TlsaLookupFails_TheHostIsNotUsed_AndTheMessageWaitsForARetry(string fault, string expectedReason)
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync($"mx.{Domain}", certificate: TestCertificates.SelfSigned($"mx.{Domain}"));
        var tlsaName = $"_{receiver.Port}._tcp.mx.{Domain}";
        _dns.Address($"mx.{Domain}", "127.0.0.1").Authenticated.Add($"mx.{Domain}");
        (fault switch { "servfail" => _dns.ServerFailure, "timeout" => _dns.Silent, _ => _dns.Garbled }).Add(tlsaName);
        await using var server = await StartAsync(($"SecureFallback:Delivery:Routes:{Domain}", $"mx.{Domain}:{receiver.Port}"));

        await server.SendAsync("alice@sender.test", [$"bob@{Domain}"], "Contract", "body");
        var bob = (await server.WaitForRecipientsAsync(r => r.Any(x => IsBob(x) && x.AttemptCount > 0), TimeSpan.FromSeconds(30))).Single(IsBob);

        // At encrypt any certificate would do: an attacker who breaks the TLSA answer must not get that far.
        Assert.Equal(RecipientStatus.Queued, bob.Status);
        Assert.Equal(expectedReason, bob.Reason);
        Assert.Empty(receiver.Messages);
        var attempt = (await server.AttemptsAsync()).Single(a => a.RecipientId == bob.Id);
        Assert.Equal((DeliveryOutcome.Transient, expectedReason, $"mx.{Domain}"), (attempt.Outcome, attempt.Reason, attempt.Host));
    }

    [Fact]
    public async Task TlsaLookupFailsOnTheFirstMx_TheNextMxIsTried()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync($"mx.{Domain}", certificate: TestCertificates.SelfSigned($"mx.{Domain}"));
        _dns.Mx(Domain, 10, $"mx1.{Domain}").Mx(Domain, 20, $"mx2.{Domain}").Authenticated.Add(Domain);
        foreach (var host in new[] { $"mx1.{Domain}", $"mx2.{Domain}" })
        {
            _dns.Address(host, "127.0.0.1").Authenticated.Add(host);
        }

        _dns.ServerFailure.Add($"_{receiver.Port}._tcp.mx1.{Domain}");
        _dns.NonExistent.Add($"_{receiver.Port}._tcp.mx2.{Domain}"); // authenticated NXDOMAIN: no DANE for mx2
        _dns.Authenticated.Add($"_{receiver.Port}._tcp.mx2.{Domain}");
        await using var server = await StartAsync(("SecureFallback:Delivery:Port", receiver.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        await server.SendAsync("alice@sender.test", [$"bob@{Domain}"], "Contract", "body");
        var bob = (await server.WaitForRecipientsAsync(r => r.Any(x => IsBob(x) && x.Status != RecipientStatus.Queued))).Single(IsBob);

        Assert.Equal(RecipientStatus.Delivered, bob.Status);
        var attempts = (await server.AttemptsAsync()).Where(a => a.RecipientId == bob.Id).ToList();
        Assert.Equal([($"mx1.{Domain}", FailureReason.DnssecInvalid), ($"mx2.{Domain}", null)], attempts.Select(a => (a.Host, a.Reason)));
    }

    [Theory]
    [InlineData(true, RecipientStatus.HeldForPickup)] // a secure host: its records decide, even at encrypt
    [InlineData(false, RecipientStatus.Delivered)] // the address answer was not authenticated: no DANE
    public async Task TlsaRecords_CountOnlyWhenTheHostsAddressWasAuthenticatedToo(bool addressAuthenticated, RecipientStatus expected)
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync($"mx.{Domain}", certificate: TestCertificates.SelfSigned($"mx.{Domain}"));
        _dns.Address($"mx.{Domain}", "127.0.0.1").Tlsa($"_{receiver.Port}._tcp.mx.{Domain}", 3, 1, 1, SHA256.HashData(new byte[1]), authenticated: true);
        if (addressAuthenticated)
        {
            _dns.Authenticated.Add($"mx.{Domain}");
        }

        // Found by MX lookup, not a static route: TLS reports leave routed domains out (a route is our relay, not their MX).
        _dns.Mx(Domain, 10, $"mx.{Domain}").Authenticated.Add(Domain);
        await using var server = await StartAsync(("SecureFallback:Delivery:Port", receiver.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        await server.SendAsync("alice@sender.test", [$"bob@{Domain}"], "Contract", "body");
        var bob = (await server.WaitForRecipientsAsync(r => r.Any(x => IsBob(x) && x.Status != RecipientStatus.Queued))).Single(IsBob);

        Assert.Equal(expected, bob.Status);
        Assert.Equal(expected == RecipientStatus.Delivered ? null : FailureReason.TlsaInvalid, bob.Reason);

        // The TLS report counts the session under the tlsa policy (its records) only where DANE applied.
        await using var scope = server.Services.CreateAsyncScope();
        var counts = await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().TlsSessionCounts.Where(c => c.PolicyDomain == Domain).ToListAsync();
        var (result, policy) = addressAuthenticated
            ? (FailureReason.TlsaInvalid, TlsRptPolicy.OfTlsa($"mx.{Domain}", [$"3 1 1 {Convert.ToHexStringLower(SHA256.HashData(new byte[1]))}"]))
            : (TlsRptResult.Success, TlsRptPolicy.None);
        Assert.NotEmpty(counts);
        Assert.All(counts, c => Assert.Equal((result, policy, $"mx.{Domain}", "127.0.0.1"), (c.ResultType, TlsRptPolicy.Deserialize(c.Policy), c.ReceivingMxHost, c.ReceivingIp)));
    }

    public async Task DisposeAsync() => await _dns.DisposeAsync();
}
