using MimeKit;
using MimeKit.Utils;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// Plain-text reports about who reads held copies, beyond the read receipt: "opened again from another network"
/// and "locked" to the sender, "account disowned" to the administrators. They carry no message content (the
/// subject only, as the read receipt does, to the sender who wrote it), and travel like DSNs: over mandatory TLS.
/// </summary>
internal sealed class ReaderReportComposer(string messageIdDomain, MailboxAddress from, TimeProvider timeProvider)
{
    /// <summary>The held copy was opened from a network it had not been opened from before.</summary>
    public MimeMessage ComposeReopened(string sender, string recipient, HeaderList originalHeaders, Reading first, Reading again)
    {
        var text = $"Your message to {recipient}{About(originalHeaders)}, held for secure pickup, was opened again on {again.When}\n" +
            "from another network than before.\n\n" + again.Lines + "\n" +
            $"It was first opened on {first.When} from network {first.Network ?? "unknown"} with {first.Browser ?? "an unknown browser"}.\n\n" +
            "A person reading mail at home and at work, or on a phone, opens from several networks. If that does not fit\n" +
            "what you know of the recipient, call them. At most " + Core.Pickup.PickupGrant.MaxReopenNotices +
            " such notices are sent per message and recipient.\n";
        return Compose(sender, $"Opened again from another network: {Subject(originalHeaders)}", originalHeaders, text);
    }

    /// <summary>The owner of the address disowned its portal account: the held copy is locked.</summary>
    public MimeMessage ComposeLocked(string sender, string recipient, HeaderList originalHeaders, Reading? first)
    {
        var opened = first is null
            ? "It had not been opened.\n"
            : $"It had been opened on {first.When}:\n" + first.Lines;
        var text = $"Your message to {recipient}{About(originalHeaders)}, held for secure pickup, is locked: the owner of that\n" +
            "address reported that the portal account for it was not created by them (\"this was not me\"). Nobody can\n" +
            "open the message now; the administrators were told.\n\n" + opened + "\n" +
            "If it had been opened, assume someone else may have read it. Contact the recipient by phone, and send the\n" +
            "message again once the administrators have dealt with the account.\n";
        return Compose(sender, $"Locked: {Subject(originalHeaders)}", originalHeaders, text);
    }

    /// <summary>
    /// To the sender: a held copy was revoked. The content is usually shredded by now, so the report names the
    /// message by its arrival and queue id, never by content.
    /// </summary>
    public MimeMessage ComposeRevoked(string sender, string recipient, Guid messageId, DateTimeOffset receivedAt, DateTimeOffset revokedAt, bool bySender)
    {
        var who = bySender ? "you (the link in our report about it)" : "an administrator";
        var text = $"Your message to {recipient}, received {new Reading(receivedAt, null, null, false).When} (queue id {messageId:N}),\n" +
            $"was revoked by {who} on {new Reading(revokedAt, null, null, false).When}.\n\n" +
            "The recipient can no longer open it at the secure portal and is shown that it was revoked. Its encrypted\n" +
            "copy and data key are deleted (at once, or when the last other recipient of the same message is done).\n" +
            "If the recipient opened it before, they may have kept what they read.\n";
        return Compose(sender, "Revoked: your message held for secure pickup", [], text);
    }

    /// <summary>To the administrators: an account was disowned by the owner of its address.</summary>
    public MimeMessage ComposeDisowned(string admin, string address, DateTimeOffset createdAt, int lockedCopies, DateTimeOffset reportedAt)
    {
        var when = new Reading(reportedAt, null, null, false).When;
        var text = $"On {when} the holder of a pickup link for {address} reported at the portal that the portal account\n" +
            $"for that address (created {new Reading(createdAt, null, null, false).When}) was not created by them.\n\n" +
            $"The account is locked and its sessions ended; {lockedCopies} held message(s) for the address are locked, and\n" +
            "each sender was told. Someone who reads that recipient's mail path (where the pickup notice travels without\n" +
            "encryption) may have registered first. The locked messages expire as usual; decide with the senders whether\n" +
            "to delete them from the queue.\n";
        return Compose(admin, $"Portal account disowned: {address}", [], text);
    }

    private MimeMessage Compose(string to, string subject, HeaderList originalHeaders, string text)
    {
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(EnvelopeMailbox.Create(to));
        message.Subject = subject;
        message.Date = timeProvider.GetUtcNow();
        message.MessageId = MimeUtils.GenerateMessageId(messageIdDomain);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        OriginalMessageId.ReferTo(message, originalHeaders);

        message.Body = new TextPart("plain") { Text = text };
        return message;
    }

    private static string Subject(HeaderList headers) => headers[HeaderId.Subject] ?? "(no subject)";

    private static string About(HeaderList headers) => headers[HeaderId.Subject] is { } subject ? $" (\"{subject}\")" : "";
}
