using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

public sealed class IntakeTests
{
    private static readonly Dictionary<string, string> HoldDeliveries = new()
    {
        // Deliveries go nowhere reachable and retry hourly, so queued rows stay put while a test looks at them.
        ["SecureFallback:Delivery:Routes:example.test"] = "127.0.0.1:9",
        ["SecureFallback:Delivery:RetrySchedule:0"] = "01:00:00",
    };

    [Fact]
    public async Task Ehlo_AdvertisesPipeliningSize8BitMimeAndStartTls_ButNoAuthBeforeTls()
    {
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);

        var ehlo = await client.CommandAsync("EHLO client.test");

        Assert.Contains("PIPELINING", ehlo);
        Assert.Contains("SIZE 36700160", ehlo);
        Assert.Contains("8BITMIME", ehlo);
        Assert.Contains("STARTTLS", ehlo);
        Assert.DoesNotContain("AUTH", ehlo);
    }

    [Fact]
    public async Task Rcpt_FromANetworkNotAllowed_IsRefusedWith571()
    {
        var settings = new Dictionary<string, string>(HoldDeliveries) { ["SecureFallback:Intake:AllowedNetworks:0"] = "192.0.2.0/24" };
        await using var server = await SecureFallbackInstance.StartAsync(settings);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.CommandAsync("EHLO client.test");
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<alice@sender.test>"));

        var rcpt = await client.CommandAsync("RCPT TO:<victim@example.test>");

        Assert.StartsWith("550 5.7.1", rcpt);
        Assert.Empty(await server.RecipientsAsync());
    }

    [Fact]
    public async Task Auth_WithoutTls_IsRefusedEvenWithTheRightPassword()
    {
        var settings = new Dictionary<string, string>(HoldDeliveries) { ["SecureFallback:Intake:AllowedNetworks:0"] = "192.0.2.0/24" };
        await using var server = await SecureFallbackInstance.StartAsync(settings);
        await server.AddRelayUserAsync("relay", "correct horse battery");
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.CommandAsync("EHLO client.test");

        var plain = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0relay\0correct horse battery"));
        var auth = await client.CommandAsync($"AUTH PLAIN {plain}");

        Assert.DoesNotMatch("^235", auth);
        await client.CommandAsync("MAIL FROM:<alice@sender.test>");
        Assert.StartsWith("550 5.7.1", await client.CommandAsync("RCPT TO:<victim@example.test>"));
    }

    [Fact]
    public async Task Auth_AfterStartTls_WithARelayUser_MayRelay_AndAWrongPasswordMayNot()
    {
        var settings = new Dictionary<string, string>(HoldDeliveries) { ["SecureFallback:Intake:AllowedNetworks:0"] = "192.0.2.0/24" };
        await using var server = await SecureFallbackInstance.StartAsync(settings);
        await server.AddRelayUserAsync("relay", "correct horse battery");

        using (var wrong = SecureFallbackInstance.NewIntakeClient())
        {
            await wrong.ConnectAsync("127.0.0.1", server.IntakePort, SecureSocketOptions.StartTls);
            Assert.True(wrong.Capabilities.HasFlag(SmtpCapabilities.Authentication));
            await Assert.ThrowsAsync<AuthenticationException>(() => wrong.AuthenticateAsync("relay", "wrong password!"));
        }

        using var client = SecureFallbackInstance.NewIntakeClient();
        await client.ConnectAsync("127.0.0.1", server.IntakePort, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync("relay", "correct horse battery");
        var reply = await client.SendAsync(NewMessage("alice@sender.test", "bob@example.test"));

        Assert.Contains("queued as", reply);
        var recipient = Assert.Single(await server.RecipientsAsync());
        Assert.Equal("relay", recipient.Message!.AuthenticatedUser);
    }

    [Fact]
    public async Task Data_OverTheSizeLimit_IsRefusedWith552()
    {
        var settings = new Dictionary<string, string>(HoldDeliveries) { ["SecureFallback:Intake:MaxMessageBytes"] = "10000" };
        await using var server = await SecureFallbackInstance.StartAsync(settings);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.StartDataAsync("alice@sender.test", "bob@example.test");

        await client.SendRawAsync("Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('x', 998) + "\r\n", 20)) + ".\r\n");
        var reply = await client.ReadReplyAsync();

        Assert.StartsWith("552", reply);
        Assert.Empty(await server.RecipientsAsync());
    }

    [Fact]
    public async Task Data_Accepted_IsCommittedWithItsRecipientsBeforeThe250()
    {
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.StartDataAsync("alice@sender.test", "bob@example.test", "carol@example.test");

        var reply = await client.CommandAsync("Subject: hello\r\n\r\nbody\r\n.");

        Assert.Matches("^250 2.0.0 Ok: queued as [0-9a-f]{32}$", reply);
        var id = Guid.ParseExact(reply[^32..], "N");
        // Read with a fresh connection right after the reply: the rows must already be there.
        var recipients = await server.RecipientsAsync();
        Assert.Equal(["bob@example.test", "carol@example.test"], recipients.Where(r => r.MessageId == id).Select(r => r.Address).Order());
    }

    [Fact]
    public async Task Data_WithAnEmptyBody_GetsAReply()
    {
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries);
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.StartDataAsync("alice@sender.test", "bob@example.test");

        var reply = await client.CommandAsync(".").WaitAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("554 5.6.0", reply);
        Assert.StartsWith("250", await client.CommandAsync("NOOP"));
        Assert.Empty(await server.RecipientsAsync());
    }

    [Theory]
    [InlineData("backup finished")]
    [InlineData("backup finished\r\nno errors")]
    public async Task Data_OfBodyLinesOnly_IsDeliveredWithItsLines_NotBounced(string lines)
    {
        // A script may send lines without any header. SmtpServer hands the data over without its last CRLF; stored
        // that way, the last line lost its line end on the way out, and some such messages could not be parsed at
        // all and went back to the sender (found by the fuzz tests).
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string> { ["SecureFallback:Delivery:Routes:example.test"] = receiver.Route });
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        await client.StartDataAsync("alice@sender.test", "bob@example.test");

        Assert.StartsWith("250", await client.CommandAsync($"{lines}\r\n."));

        var bob = (await server.WaitForRecipientsAsync(r => r.Single().Status != RecipientStatus.Queued)).Single();
        Assert.True(bob.Status == RecipientStatus.Delivered, $"{bob.Status}: {bob.Reason}");
        Assert.Contains($"{lines}\r\n", Assert.Single(receiver.Messages).Text);
    }

    private static MimeMessage NewMessage(string from, string to)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "hello";
        message.Body = new TextPart("plain") { Text = "body" };
        return message;
    }
}
