using System.Net;
using System.Text.RegularExpressions;
using SecureFallback.Core.Messages;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// OpenTelemetry metrics as Prometheus scrapes them, and the readiness probe. Alone (not beside other tests): a
/// metrics listener sees every meter named "SecureFallback" in the process, so parallel servers would add up.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    [Fact]
    public async Task Metrics_CountAcceptedDeliveredHeldAndTlsFailures_ForPrometheus_OnlyForLocalScrapers()
    {
        await using var tls = await TlsSmtpReceiver.StartAsync();
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:tls.test"] = tls.Route,
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        await server.SendAsync("alice@sender.test", ["bob@tls.test"], "over TLS", "body");
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "held", "body");
        await server.WaitForRecipientsAsync(r =>
            r.Any(x => x.Address == "bob@tls.test" && x.Status == RecipientStatus.Delivered) &&
            r.Any(x => x.Address == "carol@plain.test" && x.Status == RecipientStatus.HeldForPickup));

        using var local = new PortalVisitor(server.WebAddress);
        using var response = await local.SendAsync(HttpMethod.Get, "/metrics");
        var metrics = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, Value(metrics, "securefallback_messages_accepted_total"));
        Assert.Equal(1, Value(metrics, "securefallback_recipients_delivered_total", "kind=\"Submitted\"", "tls=\"true\""));
        Assert.Equal(1, Value(metrics, "securefallback_recipients_held_total", "reason=\"starttls-not-supported\""));
        Assert.Equal(1, Value(metrics, "securefallback_tls_failures_total", "reason=\"starttls-not-supported\""));
        Assert.Contains("securefallback_queue_depth", metrics);
        Assert.Contains("securefallback_queue_oldest_age_seconds", metrics);
        Assert.DoesNotContain("carol", metrics); // no addresses in metrics

        // A client elsewhere, as a reverse proxy on this machine reports it, gets nothing.
        using var remote = new PortalVisitor(server.WebAddress, forwardedFor: "198.51.100.7");
        Assert.Equal(HttpStatusCode.NotFound, (await remote.SendAsync(HttpMethod.Get, "/metrics")).StatusCode);
    }

    [Fact]
    public async Task Readyz_AndHealthz_AnswerHealthyOnceEverythingRuns()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        using var client = new PortalVisitor(server.WebAddress);
        // The workers start just after the host: "healthy once everything runs", so give them a moment.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            using var probe = await client.SendAsync(HttpMethod.Get, "/healthz");
            if (probe.StatusCode == HttpStatusCode.OK)
            {
                break;
            }

            await Task.Delay(50);
        }

        foreach (var path in new[] { "/healthz", "/readyz" })
        {
            using var response = await client.SendAsync(HttpMethod.Get, path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        }
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    private static double Value(string metrics, string name, params string[] labels)
    {
        var samples = metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => labels.All(label => line.Contains(label, StringComparison.Ordinal)))
            .ToList();
        var sample = Assert.Single(samples);
        return double.Parse(Regex.Match(sample, @"\}?\s+([0-9.eE+-]+)(\s+\d+)?$").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry (alone)";
}
