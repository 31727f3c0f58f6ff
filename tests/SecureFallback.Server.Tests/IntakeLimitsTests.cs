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

/// <summary>The intake's limits and timeouts against clients that push them: long lines, idle and trickling sessions, floods.</summary>
public sealed class IntakeLimitsTests
{
    private static readonly Dictionary<string, string> HoldDeliveries = new()
    {
        ["SecureFallback:Delivery:Routes:example.test"] = "127.0.0.1:9",
        ["SecureFallback:Delivery:RetrySchedule:0"] = "01:00:00",
    };

    [Fact]
    public async Task CommandLine_OverTheLimit_GetsA500_AndTheConnectionIsClosed()
    {
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);

        await client.SendRawAsync("NOOP " + new string('x', 100_000)); // no line end: SmtpServer alone would keep buffering
        var reply = await client.ReadReplyAsync();

        Assert.StartsWith("500 5.5.2", reply);
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task DataLine_LongerThan998Octets_IsRefusedWith554_AndNothingIsQueued()
    {
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.StartDataAsync("alice@sender.test", "bob@example.test");

        var reply = await client.CommandAsync("Subject: long\r\n\r\n" + new string('y', 999) + "\r\n.");

        Assert.StartsWith("554 5.6.0", reply);
        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
        Assert.Empty(await server.RecipientsAsync());
    }

    [Fact]
    public async Task Commands_WithoutMail_BeyondTheLimit_CloseTheSessionWith421()
    {
        var settings = new Dictionary<string, string>(HoldDeliveries) { ["SecureFallback:Intake:MaxCommandsBeforeMail"] = "10" };
        await using var server = await SecureFallbackInstance.StartAsync(settings);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.test"));
        for (var i = 0; i < 9; i++)
        {
            Assert.StartsWith("250", await client.CommandAsync(i % 2 == 0 ? "NOOP" : "RSET"));
        }

        // A MAIL resets the count, so a real sender with many messages per session is never cut off.
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<alice@sender.test>"));
        for (var i = 0; i < 10; i++)
        {
            Assert.StartsWith("250", await client.CommandAsync("NOOP"));
        }

        Assert.StartsWith("421 4.7.0", await client.CommandAsync("NOOP"));
        Assert.True(await client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Connections_OverThePerAddressAndTotalLimits_GetA421_AndFreedSlotsAreReused()
    {
        var settings = new Dictionary<string, string>(HoldDeliveries)
        {
            ["SecureFallback:Intake:MaxConnections"] = "3",
            ["SecureFallback:Intake:MaxConnectionsPerAddress"] = "2",
        };
        await using var server = await SecureFallbackInstance.StartAsync(settings);

        var first = await RawSmtpClient.ConnectAsync(server.IntakePort, from: IPAddress.Parse("127.0.0.1"));
        await using var second = await RawSmtpClient.ConnectAsync(server.IntakePort, from: IPAddress.Parse("127.0.0.1"));
        await using var thirdFromSameAddress = await RawSmtpClient.ConnectAsync(server.IntakePort, from: IPAddress.Parse("127.0.0.1"));
        await using var fromOtherAddress = await RawSmtpClient.ConnectAsync(server.IntakePort, from: IPAddress.Parse("127.0.0.2"));
        await using var overTotal = await RawSmtpClient.ConnectAsync(server.IntakePort, from: IPAddress.Parse("127.0.0.3"));

        Assert.StartsWith("220", first.Greeting);
        Assert.StartsWith("220", second.Greeting);
        Assert.StartsWith("421 4.7.0 Too many connections from your address", thirdFromSameAddress.Greeting);
        Assert.StartsWith("220", fromOtherAddress.Greeting);
        Assert.StartsWith("421 4.7.0 Too many connections in total", overTotal.Greeting);

        await first.CommandAsync("QUIT");
        await first.DisposeAsync();
        var again = await RetryUntilAcceptedAsync(server.IntakePort, IPAddress.Parse("127.0.0.1"));
        await using (again)
        {
            Assert.StartsWith("250", await again.CommandAsync("EHLO client.test"));
        }
    }

    [Fact]
    public async Task IdleClient_IsDisconnectedAfterTheCommandTimeout()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string>(HoldDeliveries) { ["SecureFallback:Intake:CommandTimeout"] = "00:00:02" };
        await using var server = await SecureFallbackInstance.StartAsync(settings, time: clock);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);

        var reply = await WhileTimePassesAsync(client.ReadReplyAsync(TimeSpan.FromSeconds(15)), clock);

        Assert.StartsWith("421", reply);
        Assert.True(await WhileTimePassesAsync(client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)), clock));
    }

    [Fact]
    public async Task SlowlorisCommand_OneByteAtATime_IsCutOffByTheCommandTimeout()
    {
        var settings = new Dictionary<string, string>(HoldDeliveries) { ["SecureFallback:Intake:CommandTimeout"] = "00:00:02" };
        await using var server = await SecureFallbackInstance.StartAsync(settings);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);

        var closed = await TrickleUntilClosedAsync(client, "EHLO " + new string('s', 200), TimeSpan.FromSeconds(20));

        Assert.True(closed < TimeSpan.FromSeconds(15), $"still open after {closed}");
    }

    [Fact]
    public async Task SilenceInsideData_IsCutOffWith421_AndNothingIsQueued()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string>(HoldDeliveries) { ["SecureFallback:Intake:CommandTimeout"] = "00:00:02" };
        await using var server = await SecureFallbackInstance.StartAsync(settings, time: clock);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.StartDataAsync("alice@sender.test", "bob@example.test");
        await client.SendRawAsync("Subject: half\r\n\r\nhalf a mess");

        var reply = await WhileTimePassesAsync(client.ReadReplyAsync(TimeSpan.FromSeconds(15)), clock);

        Assert.StartsWith("421 4.4.2", reply);
        Assert.True(await WhileTimePassesAsync(client.IsClosedByServerAsync(TimeSpan.FromSeconds(10)), clock));
        Assert.Empty(await server.RecipientsAsync());
    }

    [Fact]
    public async Task SlowlorisData_TricklingBytes_IsCutOffByTheSessionTimeout()
    {
        var settings = new Dictionary<string, string>(HoldDeliveries)
        {
            ["SecureFallback:Intake:CommandTimeout"] = "00:00:02",
            ["SecureFallback:Intake:SessionTimeout"] = "00:00:04",
        };
        await using var server = await SecureFallbackInstance.StartAsync(settings);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.StartDataAsync("alice@sender.test", "bob@example.test");

        var closed = await TrickleUntilClosedAsync(client, "Subject: slow\r\n\r\n" + new string('z', 400), TimeSpan.FromSeconds(30));

        Assert.True(closed < TimeSpan.FromSeconds(20), $"still open after {closed}");
        Assert.Empty(await server.RecipientsAsync());
    }

    /// <summary>
    /// Awaits <paramref name="task"/> (which has its own real-time limit) while the fake clock moves on a second at a
    /// time: the session guard's timeouts run on the server's clock, and stepping (rather than one jump) also covers
    /// reads the guard starts later, such as the one after a timeout in DATA.
    /// </summary>
    private static async Task<T> WhileTimePassesAsync<T>(Task<T> task, FakeTimeProvider clock)
    {
        while (!task.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(task, Task.Delay(100));
        }

        return await task;
    }

    private static async Task<TimeSpan> TrickleUntilClosedAsync(RawSmtpClient client, string text, TimeSpan limit)
    {
        var started = TimeProvider.System.GetTimestamp();
        foreach (var c in text)
        {
            try
            {
                await client.SendRawAsync(c.ToString());
            }
            catch (IOException)
            {
                break;
            }

            if (TimeProvider.System.GetElapsedTime(started) > limit)
            {
                break;
            }

            if (await client.IsClosedByServerAsync(TimeSpan.FromMilliseconds(300)))
            {
                break;
            }
        }

        return TimeProvider.System.GetElapsedTime(started);
    }

    private static async Task<RawSmtpClient> RetryUntilAcceptedAsync(int port, IPAddress from)
    {
        // The server frees the slot when it has disposed the session, a moment after QUIT.
        for (var attempt = 0; ; attempt++)
        {
            var client = await RawSmtpClient.ConnectAsync(port, from: from);
            if (client.Greeting.StartsWith("220", StringComparison.Ordinal) || attempt == 50)
            {
                return client;
            }

            await client.DisposeAsync();
            await Task.Delay(100);
        }
    }
}
