using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Tests;

/// <summary>
/// The original Message-ID is the sender's to write: a notice refers to it (In-Reply-To, References) only when it
/// parses as a msg-id, and is composed without those headers otherwise, never failing on it.
/// </summary>
public sealed class NoticeMessageIdTests
{
    public static TheoryData<string> BadMessageIds => ["Message-ID:\r\n", "Message-ID: ()\r\n", "Message-ID:    \r\n", "Message-ID: <\r\n"];

    private static readonly MailboxAddress From = MailboxAddress.Parse("postmaster@sf.test");
    private static readonly Reading First = new(DateTimeOffset.UtcNow, "192.0.2.0/24", "Firefox", false);

    private static HeaderList Headers(string messageIdLine) =>
        HeaderList.Load(new MemoryStream(System.Text.Encoding.ASCII.GetBytes("Subject: Lab results\r\n" + messageIdLine + "\r\n")));

    [Theory]
    [MemberData(nameof(BadMessageIds))]
    public void Dsn_WithABadOriginalMessageId_IsComposedWithoutReferences(string messageIdLine)
    {
        var original = new QueuedMessage { Id = Guid.NewGuid(), EnvelopeFrom = "alice@sender.test", ReceivedAt = DateTimeOffset.UtcNow };
        var carol = QueuedRecipient.Create(original.Id, "carol@plain.test", original.ReceivedAt);
        carol.Message = original;

        var dsn = new DsnComposer("sf.test", From, TimeProvider.System).Compose(original, [carol], Headers(messageIdLine));

        Assert.Null(dsn.InReplyTo);
        Assert.Empty(dsn.References);
    }

    [Theory]
    [MemberData(nameof(BadMessageIds))]
    public void ReadReceipt_WithABadOriginalMessageId_IsComposedWithoutReferences(string messageIdLine)
    {
        var mdn = new ReadReceiptComposer("sf.test", From, TimeProvider.System).Compose("alice@sender.test", "carol@plain.test", Headers(messageIdLine), First);

        Assert.Null(mdn.InReplyTo);
        Assert.Empty(mdn.References);
    }

    [Theory]
    [MemberData(nameof(BadMessageIds))]
    public void ReaderReports_WithABadOriginalMessageId_AreComposedWithoutReferences(string messageIdLine)
    {
        var composer = new ReaderReportComposer("sf.test", From, TimeProvider.System);

        var locked = composer.ComposeLocked("alice@sender.test", "carol@plain.test", Headers(messageIdLine), First);
        var reopened = composer.ComposeReopened("alice@sender.test", "carol@plain.test", Headers(messageIdLine), First, First);

        Assert.All(new[] { locked, reopened }, m => Assert.Null(m.InReplyTo));
        Assert.All(new[] { locked, reopened }, m => Assert.Empty(m.References));
    }

    [Fact]
    public void Notices_WithAGoodOriginalMessageId_ReferToIt()
    {
        var headers = Headers("Message-ID: <abc@sender.test>\r\n");

        var mdn = new ReadReceiptComposer("sf.test", From, TimeProvider.System).Compose("alice@sender.test", "carol@plain.test", headers, First);
        var locked = new ReaderReportComposer("sf.test", From, TimeProvider.System).ComposeLocked("alice@sender.test", "carol@plain.test", headers, First);

        Assert.Equal("abc@sender.test", mdn.InReplyTo);
        Assert.Equal(["abc@sender.test"], mdn.References);
        Assert.Equal("abc@sender.test", locked.InReplyTo);
    }
}
