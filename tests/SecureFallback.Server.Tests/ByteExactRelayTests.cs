using System.Text;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// A relay passes a message on as it was given (RFC 5321 2.3.10 and 3.7.4): the receiver gets exactly the bytes the
/// client submitted, with only our Received field in front, whatever MIME would make of them (a multipart boundary
/// line with trailing blanks, a Content-Type without MIME-Version, lines that start with a dot).
/// </summary>
public sealed class ByteExactRelayTests
{
    private const string Submitted =
        "From: Alice <alice@sender.test>\r\n" +
        "To: bob@exact.test\r\n" +
        "Subject: =?us-ascii?Q?exact?=\r\n" +
        "X-Folded: first part\r\n" +
        "\tsecond part   \r\n" +
        "Content-Type: multipart/mixed;\r\n" +
        " boundary=\"b1\"\r\n" +
        "\r\n" +
        "preamble text\r\n" +
        "--b1  \r\n" +
        "Content-Type: text/plain; charset=us-ascii\r\n" +
        "\r\n" +
        ".a line that starts with a dot\r\n" +
        "..and one with two\r\n" +
        "trailing blanks   \r\n" +
        "--b1--\r\n" +
        "epilogue\r\n";

    [Theory]
    [InlineData(Submitted)]
    [InlineData("Subject: eight bit\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\u00fc\u00dfe\r\n.\u00e9\r\n")]
    public async Task Relay_DeliversExactlyTheSubmittedBytes_AfterOurReceivedField(string submitted)
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:exact.test"] = receiver.Route,
        });
        var bytes = Encoding.UTF8.GetBytes(submitted);
        await using (var client = await RawSmtpClient.ConnectAsync(server.IntakePort))
        {
            await client.CommandAsync("EHLO client.test");
            await client.CommandAsync("MAIL FROM:<alice@sender.test> BODY=8BITMIME");
            await client.CommandAsync("RCPT TO:<bob@exact.test>");
            Assert.StartsWith("354", await client.CommandAsync("DATA"));
            // Dot-stuffed on the wire, as any client does; the server takes the dots away again.
            await client.SendRawAsync(Encoding.Latin1.GetString(bytes).Replace("\r\n.", "\r\n..", StringComparison.Ordinal) + ".\r\n");
            Assert.StartsWith("250", await client.ReadReplyAsync());
        }

        var received = Assert.Single(await receiver.WaitForMessagesAsync(1)).Content;

        // The receiver's SmtpServer keeps the last line's CRLF with the terminating dot.
        var expected = bytes[..^2];
        Assert.True(received.AsSpan().EndsWith(expected), "the message differs:\n" + Encoding.UTF8.GetString(received));
        var added = Encoding.UTF8.GetString(received, 0, received.Length - expected.Length);
        Assert.StartsWith("Received: from [127.0.0.1]", added);
        Assert.Single(added.Split("\r\n"), l => l.Length > 0 && !char.IsWhiteSpace(l[0]));
    }
}
