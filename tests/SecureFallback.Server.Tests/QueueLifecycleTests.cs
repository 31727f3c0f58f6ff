using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

public sealed class QueueLifecycleTests
{
    [Fact]
    public async Task Queue_WhenTheReceiverStaysDownPastMaxQueueTime_ReturnsTheMessageWithA447Dsn()
    {
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:down.test"] = $"127.0.0.1:{TestPorts.Free()}",
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Delivery:MaxQueueTime"] = "00:00:03",
        });

        await server.SendAsync("alice@sender.test", ["dave@down.test"], "Never arrives", "body");

        var dsn = Assert.Single(await senderServer.WaitForMessagesAsync(1));
        var report = Assert.IsType<MultipartReport>(dsn.Parse().Body);
        var fields = Assert.IsType<MessageDeliveryStatus>(report[1]).StatusGroups[1];
        Assert.Equal("failed", fields["Action"]);
        Assert.Equal("4.4.7", fields["Status"]);
        var recipient = (await server.RecipientsAsync()).Single(r => r.Address == "dave@down.test");
        Assert.Equal(RecipientStatus.Failed, recipient.Status);
        Assert.Equal(FailureReason.QueueExpired, recipient.Reason);
        Assert.True(recipient.AttemptCount >= 2);
    }

    [Fact]
    public async Task Dsn_IsNeverSentToTheNullSender()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Pickup:Enabled"] = "false", // bounce mode: 5.7.10 instead of a hold
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.StartDataAsync("", "carol@plain.test");
        Assert.StartsWith("250", await client.CommandAsync("Subject: a bounce\r\n\r\nbody\r\n."));

        var recipients = await server.WaitForRecipientsAsync(r => r.Count == 1 && r[0].Status == RecipientStatus.Failed);
        await server.WaitForIdleQueueAsync();

        var only = Assert.Single(await server.RecipientsAsync());
        Assert.False(only.DsnPending);
        Assert.Equal(DeliveryOutcome.TlsUnavailable, recipients[0].LastOutcome);
        Assert.NotNull(only.Message!.ContentPurgedAt);
    }

    [Fact]
    public async Task Healthz_AnswersHealthyOnceEverythingRuns()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        using var http = new HttpClient { BaseAddress = server.WebAddress };

        // Components report ready asynchronously after start (503 until then), so poll as a load balancer would.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpResponseMessage response;
        while ((response = await http.GetAsync("/healthz")).StatusCode != System.Net.HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
            await Task.Delay(100);
        }

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        Assert.Contains("Queued recipients", await http.GetStringAsync("/status"));
        Assert.Contains("Reference code", await http.GetStringAsync("/"));
    }
}
