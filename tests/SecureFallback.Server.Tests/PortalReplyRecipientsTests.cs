using System.Net;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// <c>Portal:Replies=sender-and-recipients</c>: a reply from the portal goes to the sender and to the original's other
/// To/Cc addresses in the sender's own domain, never to an address in a third domain.
/// </summary>
public sealed class PortalReplyRecipientsTests
{
    [Fact]
    public async Task Reply_UnderSenderAndRecipients_GoesToTheSenderAndItsOwnDomainOnly()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var third = await TlsSmtpReceiver.StartAsync("mx.third.test");
        await using var server = await SecureFallbackInstance.StartAsync(PortalReplyTests.Settings(plain.Route, sender.Route, new()
        {
            ["SecureFallback:Delivery:Routes:third.test"] = third.Route,
            ["SecureFallback:Portal:Replies"] = "sender-and-recipients",
        }));
        var original = new MimeMessage();
        original.From.Add(new MailboxAddress("Alice", "alice@sender.test"));
        original.To.Add(new MailboxAddress("Carol", "carol@plain.test"));
        original.To.Add(new MailboxAddress("Bob", "bob@sender.test"));
        original.Cc.Add(new MailboxAddress("Dave", "dave@third.test"));
        original.Subject = "Lab results";
        original.MessageId = "original-91@sender.test";
        original.Body = new TextPart("plain") { Text = "original-body-marker" };
        using (var client = new SmtpClient())
        {
            // Only Carol's copy goes through this server: the others are the sender's business.
            await client.ConnectAsync("127.0.0.1", server.IntakePort, SecureSocketOptions.None);
            await client.SendAsync(original, MailboxAddress.Parse("alice@sender.test"), [MailboxAddress.Parse("carol@plain.test")]);
        }

        await plain.WaitForMessageAsync(); // the pickup notice
        using var carol = new PortalVisitor(server.WebAddress);
        var page = await PortalReplyTests.RegisterAsync(carol, plain);
        Assert.Contains("the sender and the other recipients in the sender's organisation", await PortalReplyTests.ReadAsync(carol, page), StringComparison.Ordinal);

        using var posted = await PortalReplyTests.PostReplyAsync(carol, page, "reply-to-all-marker", null);

        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var received = await PortalReplyTests.ReplyAtAsync(sender);
        Assert.Equal(["alice@sender.test", "bob@sender.test"], received.To.Order(StringComparer.Ordinal));
        var reply = received.Parse();
        Assert.Equal(["alice@sender.test"], reply.To.Mailboxes.Select(m => m.Address));
        Assert.Equal(["bob@sender.test"], reply.Cc.Mailboxes.Select(m => m.Address));
        Assert.Equal(original.MessageId, reply.InReplyTo);
        var queued = await server.WaitForRecipientsAsync(r => r.Count(x => x.Message!.Kind == MessageKind.PortalReply && x.Status == RecipientStatus.Delivered) == 2);
        Assert.Equal(["alice@sender.test", "bob@sender.test"], queued.Where(x => x.Message!.Kind == MessageKind.PortalReply).Select(x => x.Address).Order(StringComparer.Ordinal));
        Assert.Empty(third.Messages);
        Assert.DoesNotContain(plain.Messages, m => m.Text.Contains("reply-to-all-marker", StringComparison.Ordinal));
    }
}
