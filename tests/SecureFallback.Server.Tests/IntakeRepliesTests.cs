using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Server.Tests;

/// <summary>What the intake says back is in our own words, not SmtpServer's ("4 retry(ies) remaining").</summary>
public sealed class IntakeRepliesTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> HoldDeliveries = new()
    {
        ["SecureFallback:Delivery:Routes:example.test"] = "127.0.0.1:9",
        ["SecureFallback:Delivery:RetrySchedule:0"] = "01:00:00",
        ["SecureFallback:Intake:AllowedNetworks:0"] = "192.0.2.0/24",
        ["SecureFallback:Intake:AuthFailuresPerAddress"] = "1",
    };

    [Fact]
    public async Task Replies_AfterFailedAuth_UnknownCommands_AndRefusals_CarryNoLibraryText()
    {
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries);
        await server.AddRelayUserAsync("relay", "correct horse battery");
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.CommandAsync("EHLO client.test");
        Assert.StartsWith("220", await client.StartTlsAsync());
        await client.CommandAsync("EHLO client.test");
        var wrong = Convert.ToBase64String("\0relay\0wrong password!"u8.ToArray());

        var replies = new List<string>
        {
            await client.CommandAsync($"AUTH PLAIN {wrong}"), // 535: wrong password
            await client.CommandAsync($"AUTH PLAIN {wrong}"), // 454: too many failures from this network
            await client.CommandAsync("FROBNICATE now"), // 502: unknown command
            await client.CommandAsync("MAIL FROM:<alice@sender.test>"),
            await client.CommandAsync("RCPT TO:<victim@example.test>"), // 550: relaying denied
        };

        output.WriteLine(string.Join("\n", replies));
        Assert.StartsWith("535 5.7.8", replies[0]);
        Assert.StartsWith("454 4.7.0", replies[1]);
        Assert.StartsWith("502 5.5.2", replies[2]);
        Assert.StartsWith("550 5.7.1", replies[4]);
        Assert.All(replies, reply => Assert.DoesNotContain("retry(ies)", reply));
        Assert.All(replies, reply => Assert.DoesNotContain("attempt(s)", reply));
    }
}
