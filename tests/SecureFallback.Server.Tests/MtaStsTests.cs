using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using SecureFallback.Data;
using SecureFallback.Delivery.Policies;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>MTA-STS end to end: MX and TXT from a test DNS, the policy from a local HTTPS server with a test-CA certificate.</summary>
public sealed class MtaStsTests : IAsyncLifetime
{
    private const string Domain = "partner.test";
    private readonly TestCertificateAuthority _ca = new();
    private readonly TestDnsServer _dns = new();
    private readonly string _caDirectory = Directory.CreateTempSubdirectory("sf-ca-").FullName;

    public Task InitializeAsync()
    {
        _dns.Mx(Domain, 10, $"mx.{Domain}").Address($"mx.{Domain}", "127.0.0.1").Address($"mta-sts.{Domain}", "127.0.0.1")
            .Txt($"_mta-sts.{Domain}", "v=STSv1; id=20261125");
        return Task.CompletedTask;
    }

    private static string Policy(string mode, string mx) => $"version: STSv1\nmode: {mode}\nmx: {mx}\nmax_age: 86400\n";

    private async Task<SecureFallbackInstance> StartAsync(TlsSmtpReceiver receiver, TestHttpsServer policyServer) =>
        await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Dns:Servers:0"] = _dns.EndPoint.ToString(),
            ["SecureFallback:Delivery:TrustedRoots:0"] = _ca.WriteRootPem(_caDirectory),
            ["SecureFallback:Delivery:Port"] = receiver.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SecureFallback:MtaSts:HttpsPort"] = policyServer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    private static async Task<QueuedRecipient> OutcomeAsync(SecureFallbackInstance server, string subject)
    {
        await server.SendAsync("alice@sender.test", [$"bob@{Domain}"], subject, "body");
        var recipients = await server.WaitForRecipientsAsync(r => r.Count(x => x.Address == $"bob@{Domain}" && x.Message!.Kind == MessageKind.Submitted && x.Status != RecipientStatus.Queued) == r.Count(x => x.Address == $"bob@{Domain}" && x.Message!.Kind == MessageKind.Submitted));
        return recipients.Last(x => x.Address == $"bob@{Domain}" && x.Message!.Kind == MessageKind.Submitted);
    }

    [Theory]
    [InlineData("enforce", "mx.partner.test", "self-signed", FailureReason.CertificateNotTrusted)]
    [InlineData("enforce", "*.partner.test", "trusted", null)]
    [InlineData("enforce", "mail.other.test", "trusted", FailureReason.ValidationFailure)]
    [InlineData("testing", "mx.partner.test", "self-signed", null)]
    [InlineData("none", "mx.partner.test", "self-signed", null)]
    public async Task Policy_IsHonoured_EnforceHoldsWhatTestingOnlyNotes(string mode, string mx, string certificateKind, string? expectedReason)
    {
        var certificate = certificateKind == "trusted" ? _ca.Issue([$"mx.{Domain}"]) : TestCertificates.SelfSigned($"mx.{Domain}");
        await using var receiver = await TlsSmtpReceiver.StartAsync($"mx.{Domain}", certificate: certificate);
        await using var policyServer = await TestHttpsServer.StartAsync(_ca.Issue([$"mta-sts.{Domain}"]), Policy(mode, mx));
        await using var server = await StartAsync(receiver, policyServer);

        var bob = await OutcomeAsync(server, "Statement");

        if (expectedReason is null)
        {
            Assert.Equal(RecipientStatus.Delivered, bob.Status);
        }
        else
        {
            Assert.Equal(RecipientStatus.HeldForPickup, bob.Status);
            Assert.Equal(expectedReason, bob.Reason);
            OnlyPickupNotices(receiver);
        }

        var testingNote = mode == "testing" ? $", not enforced; enforcing it would have failed: mx.{Domain} certificate fails WebPKI validation" : "";
        Assert.Equal(mode == "none" ? "policy default" : $"policy default; MTA-STS {mode} (id 20261125){testingNote}", bob.PolicySource);
        await using var scope = server.Services.CreateAsyncScope();
        var cached = await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().MtaStsPolicies.SingleAsync();
        Assert.Equal((Domain, mode, "20261125"), (cached.Domain, PolicyNames.Of(cached.Mode), cached.PolicyId));
    }

    [Fact]
    public async Task CachedPolicy_StaysInForce_WhenTheNextFetchFails_AndIsNotRefetchedForTheSameId()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync($"mx.{Domain}", certificate: TestCertificates.SelfSigned($"mx.{Domain}"));
        await using var policyServer = await TestHttpsServer.StartAsync(_ca.Issue([$"mta-sts.{Domain}"]), Policy("enforce", $"mx.{Domain}"));
        await using var server = await StartAsync(receiver, policyServer);

        Assert.Equal(RecipientStatus.HeldForPickup, (await OutcomeAsync(server, "First")).Status);
        Assert.Equal(RecipientStatus.HeldForPickup, (await OutcomeAsync(server, "Same id")).Status);
        Assert.Equal(1, policyServer.Fetches);

        // A new id makes us fetch again; the fetch fails (broken policy), so the cached enforce policy stays.
        _dns.ClearTxt($"_mta-sts.{Domain}");
        _dns.Txt($"_mta-sts.{Domain}", "v=STSv1; id=20261126");
        policyServer.Policy = "this is not a policy";
        await Task.Delay(TimeSpan.FromSeconds(2)); // the TXT answer's TTL is 1 s
        var third = await OutcomeAsync(server, "After a failed fetch");

        Assert.Equal(2, policyServer.Fetches);
        Assert.Equal(RecipientStatus.HeldForPickup, third.Status);
        Assert.Contains("MTA-STS enforce (id 20261125)", third.PolicySource);
        OnlyPickupNotices(receiver);
    }

    [Fact]
    public async Task EnforcedPolicyNamingNoMx_HoldsTheMessage_AndItsNoticeWaits_NeverSentToAnUnnamedMx_NorHeldItself()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync($"mx.{Domain}", certificate: _ca.Issue([$"mx.{Domain}"]));
        await using var policyServer = await TestHttpsServer.StartAsync(_ca.Issue([$"mta-sts.{Domain}"]), Policy("enforce", "mail.other.test"));
        await using var server = await StartAsync(receiver, policyServer);

        var bob = await OutcomeAsync(server, "Statement");
        static bool IsNotice(QueuedRecipient r) => r.Message!.Kind == MessageKind.PickupNotice;
        var notice = (await server.WaitForRecipientsAsync(r => r.Any(x => IsNotice(x) && x.AttemptCount > 0))).First(IsNotice);
        await server.WaitForIdleQueueAsync();

        Assert.Equal((RecipientStatus.HeldForPickup, FailureReason.ValidationFailure), (bob.Status, bob.Reason));
        // The notice names the sender and subject and carries a sign-in link: it never goes to an MX the policy does
        // not name (that MX may be an attacker's). It waits for the MX set to be fixed, and is never held itself
        // (else its own notice would be held, and so on forever).
        Assert.Equal((RecipientStatus.Queued, FailureReason.ValidationFailure), (notice.Status, notice.Reason));
        Assert.Single(await server.RecipientsAsync(), IsNotice);
        Assert.Empty(receiver.Messages);
    }

    [Fact]
    public async Task CachedEnforcePolicy_DoesNotLapse_WhenThePolicyHostIsBlockedPastMaxAge()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var policyServer = await TestHttpsServer.StartAsync(_ca.Issue([$"mta-sts.{Domain}"]), Policy("enforce", $"mx.{Domain}"));
        await using var server = await StartWithClockAsync(policyServer.Port, clock);
        var resolver = server.Services.GetRequiredService<MtaStsResolver>();
        Assert.Equal(MtaStsMode.Enforce, (await resolver.GetAsync(Domain, CancellationToken.None))!.Mode);

        // An attacker blocks the policy host; a day and a second later the policy's max_age has passed.
        await policyServer.DisposeAsync();
        clock.Advance(TimeSpan.FromSeconds(86401));
        var policy = await resolver.GetAsync(Domain, CancellationToken.None);

        Assert.NotNull(policy);
        Assert.Equal((MtaStsMode.Enforce, "20261125"), (policy.Mode, policy.PolicyId));
    }

    [Fact]
    public async Task ExpiredPolicy_OfADomainThatNoLongerAnnouncesMtaSts_Lapses()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var policyServer = await TestHttpsServer.StartAsync(_ca.Issue([$"mta-sts.{Domain}"]), Policy("enforce", $"mx.{Domain}"));
        await using var server = await StartWithClockAsync(policyServer.Port, clock);
        var resolver = server.Services.GetRequiredService<MtaStsResolver>();
        Assert.NotNull(await resolver.GetAsync(Domain, CancellationToken.None));

        // The domain dropped MTA-STS without publishing mode: none: its TXT record and policy host are gone.
        await policyServer.DisposeAsync();
        _dns.ClearTxt($"_mta-sts.{Domain}");
        await Task.Delay(TimeSpan.FromSeconds(2)); // the resolver's cached TXT answer lives 1 s (its TTL, real time)
        clock.Advance(TimeSpan.FromHours(23)); // within max_age the cached policy still holds (RFC 8461 5.1)
        Assert.NotNull(await resolver.GetAsync(Domain, CancellationToken.None));

        clock.Advance(TimeSpan.FromHours(2)); // past max_age, with no TXT record announcing a policy any more
        Assert.Null(await resolver.GetAsync(Domain, CancellationToken.None));
    }

    [Fact]
    public async Task CachedPolicy_IsRefetchedBeforeItExpires_WhenLessThanHalfItsMaxAgeRemains()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var policyServer = await TestHttpsServer.StartAsync(_ca.Issue([$"mta-sts.{Domain}"]), Policy("enforce", $"mx.{Domain}"));
        await using var server = await StartWithClockAsync(policyServer.Port, clock);
        var resolver = server.Services.GetRequiredService<MtaStsResolver>();
        await resolver.GetAsync(Domain, CancellationToken.None);

        clock.Advance(TimeSpan.FromHours(11)); // more than half of max_age (24 h) remains: the cached policy serves
        await resolver.GetAsync(Domain, CancellationToken.None);
        Assert.Equal(1, policyServer.Fetches);

        clock.Advance(TimeSpan.FromHours(2)); // 13 h after the fetch: less than half remains, same TXT id
        var refreshed = await resolver.GetAsync(Domain, CancellationToken.None);

        Assert.Equal(2, policyServer.Fetches);
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromDays(1), refreshed!.ExpiresAt);
    }

    private async Task<SecureFallbackInstance> StartWithClockAsync(int policyPort, FakeTimeProvider clock) =>
        await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string>
            {
                ["SecureFallback:Dns:Servers:0"] = _dns.EndPoint.ToString(),
                ["SecureFallback:Delivery:TrustedRoots:0"] = _ca.WriteRootPem(_caDirectory),
                ["SecureFallback:MtaSts:HttpsPort"] = policyPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            time: clock);

    [Fact]
    public async Task CheckTls_ShowsTheMtaStsPolicy_AndJudgesAtTheLevelItRequires()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync($"mx.{Domain}", certificate: TestCertificates.SelfSigned($"mx.{Domain}"));
        await using var policyServer = await TestHttpsServer.StartAsync(_ca.Issue([$"mta-sts.{Domain}"]), Policy("enforce", $"mx.{Domain}"));
        string[] settings =
        [
            $"--SecureFallback:Dns:Servers:0={_dns.EndPoint}",
            $"--SecureFallback:Delivery:TrustedRoots:0={_ca.WriteRootPem(_caDirectory)}",
            $"--SecureFallback:Delivery:Port={receiver.Port}",
            $"--SecureFallback:MtaSts:HttpsPort={policyServer.Port}",
        ];

        using var process = ServerProcess.Start(["check-tls", Domain, .. SecureFallbackInstance.BaseArguments(SecureFallbackInstance.NewDataDirectory()), .. settings]);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.True(exitCode == 1, process.Output); // encrypt would do, but MTA-STS enforce asks for verify
        Assert.Contains("policy: level verify, on failure pickup (policy default; MTA-STS enforce (id 20261125))", process.Output);
        Assert.Contains($"MTA-STS: mode enforce, id 20261125, mx mx.{Domain}", process.Output);
        Assert.Contains("verify    FAIL certificate-not-trusted", process.Output);
    }

    /// <summary>The held message never reaches the non-compliant MX; its content-free pickup notice may (by design).</summary>
    private static void OnlyPickupNotices(TlsSmtpReceiver receiver) =>
        Assert.All(receiver.Messages, m => Assert.Contains("secure delivery", m.Parse().Subject, StringComparison.Ordinal));

    public async Task DisposeAsync()
    {
        await _dns.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_caDirectory, recursive: true);
    }
}
