using System.Net;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Server.Tests;

/// <summary>The intake under attack: relay tricks, SMTP smuggling, and every limit a hostile client could push.</summary>
public sealed class IntakeAbuseTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> HoldDeliveries = new()
    {
        ["SecureFallback:Delivery:Routes:example.test"] = "127.0.0.1:9",
        ["SecureFallback:Delivery:RetrySchedule:0"] = "01:00:00",
    };

    /// <summary>Classic open-relay probes (as in the relay test suites of the 1990s and today's scanners).</summary>
    public static readonly string[] RelayVectors =
    [
        "<victim@example.test>",
        "<@relay.test:victim@example.test>",
        "<@a.test,@b.test:victim@example.test>",
        "<victim%example.test@localhost>",
        "<victim%example.test@[127.0.0.1]>",
        "<\"victim@example.test\">",
        "<\"victim@example.test\"@localhost>",
        "<\"victim%example.test\"@localhost>",
        "<example.test!victim>",
        "<example.test!victim@localhost>",
        "<localhost!example.test!victim>",
        "<victim@[127.0.0.1]>",
        "<victim@[IPv6:::1]>",
        "<victim@example.test.>",
        "<victim@localhost.>",
        "<VICTIM@EXAMPLE.TEST>",
        "<Victim@Example.Test.>",
        "<victim@localhost>",
        "<postmaster@example.test>",
        "victim@example.test",
        "<victim@example.test@localhost>",
        "<victim@example.test%localhost>",
    ];

    [Fact]
    public async Task Rcpt_FromANetworkNotAllowed_RefusesEveryClassicRelayVector()
    {
        var settings = new Dictionary<string, string>(HoldDeliveries) { ["SecureFallback:Intake:AllowedNetworks:0"] = "192.0.2.0/24" };
        await using var server = await SecureFallbackInstance.StartAsync(settings);

        var accepted = new List<string>();
        foreach (var vector in RelayVectors)
        {
            await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
            await client.CommandAsync("EHLO client.test");
            await client.CommandAsync("MAIL FROM:<alice@sender.test>");
            var reply = await client.CommandAsync($"RCPT TO:{vector}");
            if (!reply.StartsWith('5'))
            {
                accepted.Add($"{vector} -> {reply}");
            }
        }

        output.WriteLine($"relay vectors tried: {RelayVectors.Length}, refused: {RelayVectors.Length - accepted.Count}");
        Assert.Empty(accepted);
        Assert.Empty(await server.RecipientsAsync());
    }

    /// <summary>Line endings that some receivers take as end of data (SMTP smuggling, CVE-2023-51764/51765/51766).</summary>
    public static TheoryData<string, string> SmugglingVariants => new()
    {
        { "bare LF", "\n" },
        { "bare CR", "\r" },
        { "LF.LF", "\n.\n" },
        { "LF.CRLF", "\n.\r\n" },
        { "CR.LF", "\r.\n" },
        { "CR.CR", "\r.\r" },
        { "CRLF.LF", "\r\n.\n" },
        { "LF.CR", "\n.\r" },
        { "CR.CRLF", "\r.\r\n" },
        { "CRLF.CR", "\r\n.\r" },
        { "CRLF.CRCRLF", "\r\n.\r\r\n" },
    };

    [Theory]
    [MemberData(nameof(SmugglingVariants))]
    public async Task Data_WithASmuggledSecondMessage_IsRefusedWhole_AndNeverSplit(string name, string separator)
    {
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        Assert.StartsWith("354", await client.StartDataAsync("alice@sender.test", "bob@example.test"));

        await client.SendRawAsync(
            "Subject: first\r\n\r\nhello" + separator +
            "MAIL FROM:<ceo@sender.test>\r\nRCPT TO:<mallory@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n");
        var reply = await client.ReadReplyAsync();

        Assert.True(reply.StartsWith("554 5.5.2", StringComparison.Ordinal), $"{name}: {reply}");
        // Exactly one reply came for the whole DATA: the next one answers our NOOP, not a smuggled command.
        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
        Assert.Empty(await server.RecipientsAsync());
    }

    [Fact]
    public async Task Rcpt_BeyondOneHundred_GetsA452_AndTheFirstHundredAreQueued()
    {
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.CommandAsync("EHLO client.test");
        await client.CommandAsync("MAIL FROM:<alice@sender.test>");
        for (var i = 0; i < 100; i++)
        {
            Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<r{i}@example.test>"));
        }

        Assert.StartsWith("452 4.5.3", await client.CommandAsync("RCPT TO:<r100@example.test>"));
        await client.CommandAsync("DATA");
        Assert.StartsWith("250", await client.CommandAsync("Subject: many\r\n\r\nbody\r\n."));
        Assert.Equal(100, (await server.RecipientsAsync()).Count);
    }

    [Fact]
    public async Task Rcpt_ToADomainNoDnsLookupCouldTake_GetsA501_AndTheSessionGoesOn()
    {
        // Found by the fuzz tests: such a recipient was queued, and DnsClient threw on every delivery attempt.
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.CommandAsync("EHLO client.test");
        await client.CommandAsync("MAIL FROM:<alice@sender.test>");
        var label = new string('a', 63);

        Assert.StartsWith("501 5.1.3", await client.CommandAsync($"RCPT TO:<bob@example.{label}a>"));
        Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<bob@{label}.example.test>"));
    }

    [Theory]
    [InlineData("MAIL FROM:<alice@sender.test> SIZE=10 SIZE=20")]
    [InlineData("MAIL FROM:<alice@sender.test> BODY=8BITMIME body=7BIT")]
    [InlineData("mail from:<alice@sender.test> RET=FULL ENVID=x RET=HDRS")]
    [InlineData("MAIL FROM:<alice@sender.test> \u00ffE=1 \u00feE=2")]
    [InlineData("MAIL FROM:<alice@sender.test>\tSIZE=1\tSIZE=2")]
    [InlineData("MAIL FROM:<alice@sender.test> SIZE=999\u00e099LS BODY=BINAR99\u00e099LS")] // a non-ASCII byte splits a value
    public async Task Mail_WithARepeatedOrMalformedParameter_GetsA501_AndTheSessionGoesOn(string mail)
    {
        // Found by the fuzz tests: SmtpServer's parser threw on these and dropped the connection without a reply.
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.CommandAsync("EHLO client.test");

        Assert.StartsWith("501 5.5.4", await client.CommandAsync(mail));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<alice@sender.test> SIZE=10"));
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<bob@example.test>"));
    }

    [Fact]
    public async Task Auth_AfterRepeatedFailuresFromOneAddress_IsRefusedEvenWithTheRightPassword()
    {
        var settings = new Dictionary<string, string>(HoldDeliveries)
        {
            ["SecureFallback:Intake:AllowedNetworks:0"] = "192.0.2.0/24",
            ["SecureFallback:Intake:AuthFailuresPerAddress"] = "3",
        };
        await using var server = await SecureFallbackInstance.StartAsync(settings);
        await server.AddRelayUserAsync("relay", "correct horse battery");

        using (var control = SecureFallbackInstance.NewIntakeClient())
        {
            await control.ConnectAsync("127.0.0.1", server.IntakePort, SecureSocketOptions.StartTls);
            await control.AuthenticateAsync("relay", "correct horse battery"); // the password is right
        }

        var failures = 0;
        while (failures < 3)
        {
            using var guess = SecureFallbackInstance.NewIntakeClient();
            await guess.ConnectAsync("127.0.0.1", server.IntakePort, SecureSocketOptions.StartTls);
            var failed = await Assert.ThrowsAsync<AuthenticationException>(() => guess.AuthenticateAsync("relay", $"guess {failures}"));
            failures++;
        }

        using var client = SecureFallbackInstance.NewIntakeClient();
        await client.ConnectAsync("127.0.0.1", server.IntakePort, SecureSocketOptions.StartTls);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => client.AuthenticateAsync("relay", "correct horse battery"));

        Assert.Contains("Too many failed authentications", refused.Message);
    }
}
