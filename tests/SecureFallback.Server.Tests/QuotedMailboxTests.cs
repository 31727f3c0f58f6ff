using System.Text;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>Quoted local parts, UTF-8 and IDN mailboxes: stored in RFC 5321 form and sent on in that form.</summary>
public sealed class QuotedMailboxTests
{
    private const string JohnSmith = "\"john smith\"@plain.test";
    private const string WithQuote = "\"a\\\"b\"@plain.test";

    [Fact]
    public async Task QuotedRecipients_AreQueuedInQuotedForm_AndTheOutboundRcptCarriesIt()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Policies:plain.test:OnFailure"] = "deliver-plain", // the MX sees the message's own RCPT
        });

        await server.SendAsync("alice@sender.test", [JohnSmith, WithQuote], "Quoted", "quoted local parts");

        await plain.WaitForMessagesAsync(1);
        var queued = (await server.WaitForRecipientsAsync(r => r.All(x => x.Status == RecipientStatus.Delivered))).Select(r => r.Address);
        Assert.Equal([WithQuote, JohnSmith], queued.Order(StringComparer.Ordinal));
        var rcpts = plain.Lines.Where(l => l.StartsWith("RCPT TO:", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Contains($"RCPT TO:<{JohnSmith}>", rcpts);
        Assert.Contains($"RCPT TO:<{WithQuote}>", rcpts);
    }

    [Fact]
    public async Task QuotedRecipient_GetsItsPickupNotice_AndDoesNotHoldBackAnotherNoticeToItsDomain()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
        });

        await server.SendAsync("alice@sender.test", [JohnSmith], "First", "for john smith");
        await server.SendAsync("alice@sender.test", ["bob@plain.test"], "Second", "for bob");

        var notices = await plain.WaitForMessagesAsync(2, TimeSpan.FromSeconds(20));
        Assert.Contains(notices, n => n.To.SequenceEqual(["bob@plain.test"]));
        Assert.Contains(notices, n => n.To.SequenceEqual([JohnSmith]));
        Assert.Contains($"RCPT TO:<{JohnSmith}>", plain.Lines);
    }

    [Fact]
    public async Task Utf8LocalPart_IsQueuedAsReceived_AndAUtf8Domain_IsQueuedInItsALabel()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        Assert.Contains("SMTPUTF8", await client.CommandAsync("EHLO client.test"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<alice@sender.test> SMTPUTF8"));

        // SMTPUTF8 clients (MailKit among them) send an IDN as its U-label; SmtpServer alone would read "B??cher".
        Assert.StartsWith("250", await client.CommandAsync(Utf8("RCPT TO:<jürgen@Bücher.test>")));
        Assert.StartsWith("250", await client.CommandAsync(Utf8("RCPT TO:<anna@XN--Bcher-kva.test>")));
        Assert.StartsWith("553 5.1.3", await client.CommandAsync("RCPT TO:<bad@B\u00FF\u00FEcher.test>")); // octets that are not UTF-8: refused, never guessed
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        Assert.StartsWith("250", await client.CommandAsync("Subject: x\r\n\r\nbody\r\n."));

        var recipients = await server.RecipientsAsync();
        Assert.Equal(["jürgen@xn--bcher-kva.test", "anna@XN--Bcher-kva.test"], recipients.Select(r => r.Address));
        Assert.All(recipients, r => Assert.Equal("xn--bcher-kva.test", r.Domain));
    }

    [Theory]
    [InlineData("\"a\\nb\"@plain.test", "anb@plain.test")] // RFC 5321: a quoted pair is the character itself, not a C escape
    [InlineData("\"tab\\there\"@plain.test", "tabthere@plain.test")]
    [InlineData("\"a\\x41\"@plain.test", "ax41@plain.test")]
    [InlineData("\"a\\\"\"@plain.test", "\"a\\\"\"@plain.test")] // ends in an escaped quote
    [InlineData("\"a\\\\\"@plain.test", "\"a\\\\\"@plain.test")] // ends in an escaped backslash
    [InlineData("\"\\_x y\"@plain.test", "\"_x y\"@plain.test")]
    public async Task QuotedPairs_AreReadAsRfc5321MeansThem(string recipient, string queued)
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);

        Assert.StartsWith("354", await client.StartDataAsync("alice@sender.test", recipient, JohnSmith));
        Assert.StartsWith("250", await client.CommandAsync("Subject: quoted pairs\r\n\r\nhello\r\n."));

        var addresses = (await server.RecipientsAsync()).Select(r => r.Address).ToList();
        Assert.Equal(new[] { JohnSmith, queued }.Order(StringComparer.Ordinal), addresses.Order(StringComparer.Ordinal));
    }

    /// <summary>UTF-8 octets as RawSmtpClient sends them (one char per octet).</summary>
    private static string Utf8(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));
}
