using System.Net;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Delivery;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Timeouts as RFC 5321 4.5.3.2 sets them: the reply to the final dot may take up to ten minutes, and once the whole
/// message went out, a reply that does not come means "maybe delivered" (6.1): retried later, never sent at once
/// to the next MX (a duplicate). Two MX hosts on two loopback addresses, the first one slow or silent.
/// </summary>
public sealed class DataTimeoutTests : IAsyncDisposable
{
    private const string Domain = "late.test";
    private readonly TestDnsServer _dns = new();

    [Fact]
    public async Task ReplyToTheFinalDot_LaterThanTheCommandTimeout_IsWaitedFor_AndTheNextMxGetsNothing()
    {
        var (first, second) = await TwoMxAsync();
        await using var __ = first;
        await using var ___ = second;
        first.ReplyDelay = TimeSpan.FromSeconds(5); // past the 2 s command timeout, well within the DATA timeout
        await using var server = await SecureFallbackInstance.StartAsync(Settings(first.Port));

        await server.SendAsync("alice@sender.test", [$"bob@{Domain}"], "late reply", "body");

        var bob = (await server.WaitForRecipientsAsync(r => r.Any(x => x.Address == $"bob@{Domain}" && x.Status != RecipientStatus.Queued), TimeSpan.FromMinutes(1)))
            .Single(x => x.Address == $"bob@{Domain}");
        Assert.Equal(RecipientStatus.Delivered, bob.Status);
        Assert.Single(first.Messages);
        Assert.Empty(second.Messages);
        Assert.Equal($"mx1.{Domain}", Assert.Single(await server.AttemptsAsync()).Host);
    }

    [Fact]
    public async Task ConnectionDroppedAfterTheFinalDot_IsTransient_AndTheNextMxGetsNothingInTheSameAttempt()
    {
        var (first, second) = await TwoMxAsync();
        await using var __ = first;
        await using var ___ = second;
        first.DropAfterData = true; // the message went out whole; whether it was taken is unknown
        await using var server = await SecureFallbackInstance.StartAsync(Settings(first.Port));

        await server.SendAsync("alice@sender.test", [$"bob@{Domain}"], "no reply", "body");

        var bob = (await server.WaitForRecipientsAsync(r => r.Any(x => x.Address == $"bob@{Domain}" && x.AttemptCount >= 1), TimeSpan.FromMinutes(1)))
            .Single(x => x.Address == $"bob@{Domain}");
        Assert.Equal(DeliveryOutcome.Transient, bob.LastOutcome);
        Assert.NotEmpty(first.Messages);
        Assert.Empty(second.Messages);
        Assert.All(await server.AttemptsAsync(), a => Assert.Equal($"mx1.{Domain}", a.Host));
    }

    [Fact]
    public void DataTerminationTimeout_ShorterThanTenMinutes_IsRefusedAtStart()
    {
        var options = new DeliveryOptions { HeloName = "securefallback.test", DataTerminationTimeout = TimeSpan.FromMinutes(9) };

        var result = new DeliveryOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("DataTerminationTimeout", result.FailureMessage);
        Assert.Equal(TimeSpan.FromMinutes(10), new DeliveryOptions().DataTerminationTimeout);
    }

    /// <summary>mx1 (preference 10) on 127.0.0.1 and mx2 (20) on 127.0.0.2, on one port (MX hosts share <c>Delivery:Port</c>).</summary>
    private async Task<(TlsSmtpReceiver First, TlsSmtpReceiver Second)> TwoMxAsync()
    {
        var first = await TlsSmtpReceiver.StartAsync($"mx1.{Domain}");
        var second = await TlsSmtpReceiver.StartAsync($"mx2.{Domain}", first.Port, address: IPAddress.Parse("127.0.0.2"));
        _dns.Mx(Domain, 10, $"mx1.{Domain}").Mx(Domain, 20, $"mx2.{Domain}");
        _dns.Address($"mx1.{Domain}", "127.0.0.1").Address($"mx2.{Domain}", "127.0.0.2");
        return (first, second);
    }

    private Dictionary<string, string> Settings(int port) => new()
    {
        ["SecureFallback:Dns:Servers:0"] = _dns.EndPoint.ToString(),
        ["SecureFallback:Delivery:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SecureFallback:Delivery:CommandTimeout"] = "00:00:02",
    };

    public ValueTask DisposeAsync() => _dns.DisposeAsync();
}
