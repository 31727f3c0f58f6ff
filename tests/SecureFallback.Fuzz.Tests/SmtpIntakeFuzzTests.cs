using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecureFallback.Data;
using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Fuzz.Tests;

/// <summary>
/// Fuzzes the whole SMTP command path (our listener, session guard, SmtpServer's parser, filters, the store) over
/// loopback with mutated sessions. The server must answer every session, never split one DATA into two messages,
/// keep every message it acknowledged, and still serve a clean client afterwards.
/// </summary>
public sealed partial class SmtpIntakeFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CapturedLog _log = new();
    private SecureFallbackInstance _server = null!;

    public async Task InitializeAsync() => _server = await SecureFallbackInstance.StartAsync(settings: new Dictionary<string, string>
    {
        ["SecureFallback:Delivery:Routes:example.test"] = "127.0.0.1:9", // nothing is delivered: the queue only grows
        ["SecureFallback:Delivery:RetrySchedule:0"] = "01:00:00",
        ["SecureFallback:Intake:CommandTimeout"] = "00:00:02",
        ["SecureFallback:Intake:MaxConnectionsPerAddress"] = "200",
    }, services: _log.AddTo);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task CorpusSessions_ReplayedAsTheyAre_AreAnsweredAndLoseNothing()
    {
        foreach (var session in FuzzInput.Corpus("smtp"))
        {
            await RunSessionAsync(session);
        }

        await AssertStillServesAsync();
    }

    [Fact]
    public async Task MutatedSessions_NeverCrashSplitOrLoseAMessage()
    {
        await FuzzInput.Mutated(FuzzInput.Corpus("smtp")).SampleAsync(
            RunSessionAsync,
            iter: FuzzBudget.Iterations(300),
            time: FuzzBudget.Time,
            threads: 4,
            writeLine: output.WriteLine,
            print: input => Convert.ToBase64String(input));

        await AssertStillServesAsync();
    }

    /// <summary>
    /// Repeated MAIL parameters fault SmtpServer's parser (a dictionary Add); the session guard defuses them. These
    /// are the shapes in which a repeat can hide from a line-by-line look: separators other than one space, a
    /// bare CR or LF inside the command (SmtpServer reads up to CRLF), a '>' quoted inside the path.
    /// </summary>
    [Theory]
    [InlineData("MAIL FROM:<a@sender.test> RET=FULL RET=HDRS\r\n")]
    [InlineData("MAIL FROM:<a@sender.test> RET=FULL\nRET=HDRS\r\n")]
    [InlineData("MAIL FROM:<a@sender.test> RET=FULL\rRET=HDRS\r\n")]
    [InlineData("MAIL FROM:<a@sender.test> RET=FULL\tRET=HDRS\r\n")]
    [InlineData("MAIL  FROM:<a@sender.test> RET=FULL RET=HDRS\r\n")]
    [InlineData("MAIL\tFROM:<a@sender.test> RET=FULL RET=HDRS\r\n")]
    [InlineData("MAIL FROM: <a@sender.test> ret=FULL RET=HDRS\r\n")]
    [InlineData("MAIL FROM:<\"x>y\"@sender.test> RET=FULL RET=HDRS\r\n")]
    [InlineData("MAIL FROM:<a@sender.test> RET=FULL\r\nMAIL FROM:<a@sender.test> SIZE=1\n SIZE=2\r\n")]
    public async Task RepeatedMailParameters_InEveryDisguise_AreAnsweredNotFaulted(string line)
    {
        await RunSessionAsync(Encoding.Latin1.GetBytes($"EHLO fuzz.test\r\n{line}QUIT\r\n"));

        await AssertStillServesAsync();
    }

    /// <summary>
    /// SmtpServer parses HAProxy's PROXY header as a command on every connection; a truncated one ("PROXY TCP" and
    /// nothing after) faults its parser (found by the fuzz tests). We never take a client's word for its address,
    /// so every PROXY line is refused with a reply, and the session goes on.
    /// </summary>
    [Theory]
    [InlineData("PROXY TCP")]
    [InlineData("proxy tcp ")]
    [InlineData("PROXY TCP4 198.51.100.7 127.0.0.1 4000 25")]
    [InlineData("PROXY UNKNOWN")]
    [InlineData("PROXY")]
    [InlineData("Proxy\tTCP")]
    public async Task ProxyHeaders_AreRefusedWithAReply_NotFaulted(string line)
    {
        await using var client = await RawSmtpClient.ConnectAsync(_server.IntakePort);
        Assert.StartsWith("250", await client.CommandAsync("EHLO fuzz.test"));

        Assert.Matches("^50[0-2] ", await client.CommandAsync(line));

        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
        await AssertStillServesAsync();
    }

    private async Task RunSessionAsync(byte[] input)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", _server.IntakePort);
        var stream = client.GetStream();
        var replies = new StringBuilder();
        var greeting = await ReadAsync(stream, replies, TimeSpan.FromSeconds(10), untilFirstLine: true);
        Assert.True(greeting, "no greeting");
        Assert.StartsWith("220", replies.ToString());

        try
        {
            await stream.WriteAsync(input);
        }
        catch (IOException)
        {
            // The server closed the session (a limit, a timeout): fine, as long as what it acknowledged is kept.
        }

        await ReadAsync(stream, replies, TimeSpan.FromMilliseconds(400), untilFirstLine: false);

        var queued = QueuedAs().Matches(replies.ToString()).Select(m => Guid.ParseExact(m.Groups[1].Value, "N")).ToList();
        var dataCommands = DataCommand().Matches(Encoding.Latin1.GetString(input)).Count;
        Assert.True(queued.Count <= dataCommands, $"{queued.Count} messages queued from {dataCommands} DATA commands: one DATA was split");
        if (queued.Count > 0)
        {
            await using var scope = _server.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            var stored = await db.Messages.CountAsync(m => queued.Contains(m.Id));
            Assert.Equal(queued.Count, stored); // every 250 is durable
        }
    }

    /// <summary>Reads replies until the server closes, or no more come for <paramref name="quiet"/>.</summary>
    private static async Task<bool> ReadAsync(NetworkStream stream, StringBuilder replies, TimeSpan quiet, bool untilFirstLine)
    {
        var buffer = new byte[8192];
        var deadline = TimeProvider.System.GetTimestamp();
        while (TimeProvider.System.GetElapsedTime(deadline) < TimeSpan.FromSeconds(15))
        {
            using var timeout = new CancellationTokenSource(quiet);
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            catch (IOException)
            {
                return true;
            }

            if (read == 0)
            {
                return true;
            }

            replies.Append(Encoding.Latin1.GetString(buffer, 0, read));
            if (untilFirstLine && replies.ToString().Contains('\n'))
            {
                return true;
            }
        }

        return true;
    }

    private async Task AssertStillServesAsync()
    {
        // Sessions may end (hang-ups, limits); none may fault inside SmtpServer or our code.
        Assert.DoesNotContain(_log.Entries, e => e.Category.StartsWith("SecureFallback.Smtp", StringComparison.Ordinal) && e.Level >= LogLevel.Warning && e.Event.Id == 1010);

        await using var client = await RawSmtpClient.ConnectAsync(_server.IntakePort);
        Assert.StartsWith("220", client.Greeting);
        Assert.StartsWith("250", await client.CommandAsync("EHLO after.fuzz.test"));
        Assert.StartsWith("354", await client.StartDataAsync("alice@sender.test", "bob@example.test"));
        Assert.StartsWith("250", await client.CommandAsync("Subject: after fuzzing\r\n\r\nstill here\r\n."));
    }

    [GeneratedRegex("queued as ([0-9a-f]{32})")]
    private static partial Regex QueuedAs();

    [GeneratedRegex(@"(^|\n|\r)\s*DATA", RegexOptions.IgnoreCase)]
    private static partial Regex DataCommand();
}
