using MimeKit;
using MimeKit.Utils;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// Plain-text reports about who reads held copies, beyond the read receipt: "opened again from another network"
/// and "locked" to the sender, "account disowned" to the administrators. They carry no message content (the
/// subject only, as the read receipt does, to the sender who wrote it), and travel like DSNs: over mandatory TLS.
/// </summary>
internal sealed class ReaderReportComposer(string messageIdDomain, MailboxAddress from, TimeProvider timeProvider, MailBrand? brand = null)
{
    private readonly MailBrand _brand = brand ?? MailBrand.Unnamed;

    /// <summary>The held copy was opened from a network it had not been opened from before.</summary>
    public MimeMessage ComposeReopened(string sender, string recipient, HeaderList originalHeaders, Reading first, Reading again, MailWords? words = null)
    {
        words ??= MailLanguage.Default.Words;
        var text = words.Format("Reopened.Text", recipient, About(originalHeaders), words.When(again.At)) + "\n\n" + again.Lines(words) + "\n" +
            words.Format("Reopened.First", words.When(first.At), first.Network ?? words["Unknown"], first.Browser ?? words["Reading.UnknownBrowser"]) + "\n\n" +
            words.Format("Reopened.Advice", Core.Pickup.PickupGrant.MaxReopenNotices) + "\n";
        return Compose(sender, words.Format("Reopened.Subject", Subject(originalHeaders, words)), originalHeaders, text, words);
    }

    /// <summary>The owner of the address disowned its portal account: the held copy is locked.</summary>
    public MimeMessage ComposeLocked(string sender, string recipient, HeaderList originalHeaders, Reading? first, MailWords? words = null)
    {
        words ??= MailLanguage.Default.Words;
        var opened = first is null
            ? words["Locked.NotOpened"] + "\n"
            : words.Format("Locked.Opened", words.When(first.At)) + "\n" + first.Lines(words);
        var text = words.Format("Locked.Text", recipient, About(originalHeaders)) + "\n\n" + opened + "\n" + words["Locked.Advice"] + "\n";
        return Compose(sender, words.Format("Locked.Subject", Subject(originalHeaders, words)), originalHeaders, text, words);
    }

    /// <summary>
    /// To the sender: a held copy was revoked. The content is usually shredded by now, so the report names the
    /// message by its arrival and queue id, never by content.
    /// </summary>
    public MimeMessage ComposeRevoked(string sender, string recipient, Guid messageId, DateTimeOffset receivedAt, DateTimeOffset revokedAt, bool bySender, MailWords? words = null)
    {
        words ??= MailLanguage.Default.Words;
        var who = words[bySender ? "Revoked.BySender" : "Revoked.ByAdmin"];
        var text = words.Format("Revoked.Text", recipient, words.When(receivedAt), messageId.ToString("N"), who, words.When(revokedAt)) + "\n\n" +
            words["Revoked.After"] + "\n";
        return Compose(sender, words["Revoked.Subject"], [], text, words);
    }

    /// <summary>To the administrators: an account was disowned by the owner of its address.</summary>
    public MimeMessage ComposeDisowned(string admin, string address, DateTimeOffset createdAt, int lockedCopies, DateTimeOffset reportedAt, MailWords? words = null)
    {
        words ??= MailLanguage.Default.Words;
        var text = words.Format("Disowned.Text", words.When(reportedAt), address, words.When(createdAt)) + "\n\n" +
            words.Format("Disowned.After", lockedCopies) + "\n";
        return Compose(admin, words.Format("Disowned.Subject", address), [], text, words);
    }

    private MimeMessage Compose(string to, string subject, HeaderList originalHeaders, string text, MailWords words)
    {
        var message = new MimeMessage();
        message.From.Add(_brand.From(from));
        message.To.Add(EnvelopeMailbox.Create(to));
        message.Subject = subject;
        message.Date = timeProvider.GetUtcNow();
        message.MessageId = MimeUtils.GenerateMessageId(messageIdDomain);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        OriginalMessageId.ReferTo(message, originalHeaders);

        message.Body = new TextPart("plain") { Text = text + _brand.TextFooter(words) };
        return message;
    }

    private static string Subject(HeaderList headers, MailWords words) => headers[HeaderId.Subject] ?? words["NoSubject"];

    private static string About(HeaderList headers) => headers[HeaderId.Subject] is { } subject ? $" (\"{subject}\")" : "";
}
