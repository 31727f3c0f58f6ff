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
    public async Task Utf8LocalPart_IsQueuedAsReceived_AndAUtf8Domain_IsRefusedWith553_ForItsALabel()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        Assert.Contains("SMTPUTF8", await client.CommandAsync("EHLO client.test"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<alice@sender.test> SMTPUTF8"));

        // SmtpServer reads a domain as ASCII: "Bücher" would be stored as "B??cher", a name no one owns.
        Assert.StartsWith("553 5.1.3", await client.CommandAsync(Utf8("RCPT TO:<jürgen@Bücher.test>")));
        Assert.StartsWith("250", await client.CommandAsync(Utf8("RCPT TO:<jürgen@XN--Bcher-kva.test>")));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        Assert.StartsWith("250", await client.CommandAsync("Subject: x\r\n\r\nbody\r\n."));

        var recipient = Assert.Single(await server.RecipientsAsync());
        Assert.Equal("jürgen@XN--Bcher-kva.test", recipient.Address);
        Assert.Equal("xn--bcher-kva.test", recipient.Domain);
    }

    [Theory]
    [InlineData("\"a\\nb\"@plain.test")] // SmtpServer's parser turns the quoted pair \n into a line feed
    [InlineData("\"tab\\there\"@plain.test")]
    public async Task QuotedLocalPart_ThatNoMailSystemCanCarry_IsRefusedWith553(string recipient)
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.CommandAsync("EHLO client.test");
        await client.CommandAsync("MAIL FROM:<alice@sender.test>");

        var reply = await client.CommandAsync($"RCPT TO:<{recipient}>");

        Assert.StartsWith("553 5.1.3", reply);
        Assert.StartsWith("250", await client.CommandAsync($"RCPT TO:<{JohnSmith}>")); // the session goes on
    }

    /// <summary>UTF-8 octets as RawSmtpClient sends them (one char per octet).</summary>
    private static string Utf8(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));
}
