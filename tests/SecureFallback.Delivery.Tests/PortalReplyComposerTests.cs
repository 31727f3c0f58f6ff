using MimeKit;
using SecureFallback.Core;
using SecureFallback.Core.Pickup;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Tests;

public sealed class PortalReplyComposerTests
{
    private static readonly MailboxAddress Portal = new("Example Org", "secure-reply@portal.test");
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Compose_ThreadsOnTheOriginalMessageId_AndKeepsItsReferences()
    {
        var original = Original();
        original.References.Add("<older@sender.test>");

        var reply = Compose(original);

        Assert.Equal("original-1@sender.test", reply.InReplyTo);
        Assert.Equal(["older@sender.test", "original-1@sender.test"], reply.References.ToArray());
        Assert.False(string.IsNullOrEmpty(reply.MessageId));
        Assert.Equal(Now, reply.Date);
    }

    [Fact]
    public void Compose_RewritesFromToThePortalNamingTheRecipient_AndRepliesToTheRecipient()
    {
        var reply = Compose(Original());

        var from = Assert.Single(reply.From.Mailboxes);
        Assert.Equal("secure-reply@portal.test", from.Address);
        Assert.Equal("carol@partner.test via secure portal", from.Name);
        Assert.Equal("carol@partner.test", Assert.Single(reply.ReplyTo.Mailboxes).Address);
        Assert.Equal("alice@sender.test", Assert.Single(reply.To.Mailboxes).Address);
        Assert.Empty(reply.Cc);
    }

    [Theory]
    [InlineData("Lab results", "Re: Lab results")]
    [InlineData("Re: Lab results", "Re: Lab results")]
    [InlineData("RE: Lab results", "RE: Lab results")]
    [InlineData("re:Lab results", "re:Lab results")]
    [InlineData("", "Re: (no subject)")]
    public void Compose_PrefixesReOnce(string subject, string expected)
    {
        var original = Original();
        original.Subject = subject;

        Assert.Equal(expected, Compose(original).Subject);
    }

    [Fact]
    public void Compose_PutsTheTextAboveTheQuotedOriginal_AndAttachesTheFiles()
    {
        var attachment = new ReplyAttachment("../../scan.pdf", "application/pdf", new byte[] { 1, 2, 3 });

        var reply = Compose(Original(), [attachment]);

        var text = (reply.TextBody ?? "").Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.StartsWith("Thank you, see the scan.\n", text, StringComparison.Ordinal);
        Assert.Contains("alice@sender.test wrote:\n> Your results\n> are ready.", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("Thank you", StringComparison.Ordinal) < text.IndexOf("> Your results", StringComparison.Ordinal));
        var file = Assert.IsType<MimePart>(Assert.Single(reply.Attachments));
        Assert.Equal("scan.pdf", file.FileName);
        Assert.Equal("application/pdf", file.ContentType.MimeType);
    }

    [Fact]
    public void Recipients_WithSenderAndRecipients_AddsToAndCcOfTheSendersDomainOnly_NeverTheAuthor()
    {
        var original = Original();
        original.To.Add(new MailboxAddress("", "bob@sender.test"));
        original.Cc.Add(new MailboxAddress("", "eve@elsewhere.test"));
        original.Cc.Add(new MailboxAddress("", "ALICE@sender.test"));

        var (to, cc) = PortalReplyComposer.Recipients(original, "carol@partner.test", PortalReplyMode.SenderAndRecipients);
        var (senderOnly, none) = PortalReplyComposer.Recipients(original, "carol@partner.test", PortalReplyMode.Sender);

        Assert.Equal(["alice@sender.test"], to.Select(m => m.Address));
        Assert.Equal(["bob@sender.test"], cc.Select(m => m.Address));
        Assert.Equal(["alice@sender.test"], senderOnly.Select(m => m.Address));
        Assert.Empty(none);
    }

    private static MimeMessage Compose(MimeMessage original, IReadOnlyList<ReplyAttachment>? attachments = null) =>
        PortalReplyComposer.Compose(
            original,
            new PortalReplyDraft(Guid.NewGuid(), "carol@partner.test", PortalReplyMode.Sender, "Thank you, see the scan.", attachments ?? []),
            Portal,
            Now);

    private static MimeMessage Original()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice", "alice@sender.test"));
        message.To.Add(new MailboxAddress("Carol", "carol@partner.test"));
        message.Subject = "Lab results";
        message.MessageId = "original-1@sender.test";
        message.Body = new TextPart("plain") { Text = "Your results\nare ready." };
        return message;
    }
}
