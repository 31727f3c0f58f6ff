using MailKit.Security;
using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Delivery.Transport;
using SecureFallback.TestKit;

namespace SecureFallback.Delivery.Tests;

/// <summary>
/// Recipients differing only in case are two mailboxes in principle (RFC 5321 2.4), but MailKit sends one RCPT for
/// both: each keeps a result of its own, and none is reported delivered on another's reply.
/// </summary>
public sealed class RecordingSmtpClientTests
{
    [Fact]
    public async Task Transfer_ARecipientDifferingInCaseOnly_IsNotReportedOnTheOthersRcptReply()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        receiver.RejectPermanently.Add("Bob@tls.test");
        using var client = await ConnectAsync(receiver);

        var results = await client.TransferAsync(Message(), "alice@sender.test", ["Bob@tls.test", "bob@tls.test"], "mx.tls.test", CancellationToken.None);

        Assert.Equal(("5.1.1", DeliveryOutcome.Permanent), (results["Bob@tls.test"].StatusCode, results["Bob@tls.test"].Outcome));
        Assert.Equal(DeliveryOutcome.Transient, results["bob@tls.test"].Outcome); // in a transaction of its own, later
    }

    [Fact]
    public async Task Transfer_ARecipientDifferingInCaseOnly_IsNotReportedDeliveredWithoutItsOwnRcpt()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        using var client = await ConnectAsync(receiver);

        var results = await client.TransferAsync(Message(), "alice@sender.test", ["bob@tls.test", "Bob@tls.test"], "mx.tls.test", CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Delivered, results["bob@tls.test"].Outcome);
        Assert.Equal(DeliveryOutcome.Transient, results["Bob@tls.test"].Outcome);
        Assert.Equal(["bob@tls.test"], Assert.Single(receiver.Messages).To);
    }

    private static async Task<RecordingSmtpClient> ConnectAsync(TlsSmtpReceiver receiver)
    {
        var client = RecordingSmtpClient.Create(new DeliveryOptions { HeloName = "securefallback.test", CommandTimeout = TimeSpan.FromSeconds(20) }, (_, _, _, _) => false);
        await client.ConnectAsync("127.0.0.1", receiver.Port, SecureSocketOptions.None);
        return client;
    }

    private static MimeMessage Message()
    {
        var message = new MimeMessage { Subject = "Case", Body = new TextPart("plain") { Text = "body" } };
        message.From.Add(new MailboxAddress("", "alice@sender.test"));
        return message;
    }
}
