using MimeKit;
using MimeKit.Utils;

namespace SecureFallback.Delivery.Notices;

/// <summary>Builds RFC 8098 message disposition notifications ("displayed") with MimeKit.</summary>
internal sealed class ReadReceiptComposer(string reportingUa, MailboxAddress from, TimeProvider timeProvider)
{
    public MimeMessage Compose(string sender, string recipient, HeaderList originalHeaders, DateTimeOffset displayedAt)
    {
        var subject = originalHeaders[HeaderId.Subject];
        var mdn = new MimeMessage();
        mdn.From.Add(from);
        mdn.To.Add(EnvelopeMailbox.Create(sender));
        mdn.Subject = $"Read: {subject ?? "(no subject)"}";
        mdn.Date = timeProvider.GetUtcNow();
        mdn.MessageId = MimeUtils.GenerateMessageId(reportingUa);
        mdn.Headers.Add("Auto-Submitted", "auto-replied");
        var originalId = originalHeaders[HeaderId.MessageId];
        if (originalId is not null)
        {
            mdn.InReplyTo = originalId;
            mdn.References.Add(originalId);
        }

        var notification = new MessageDispositionNotification();
        notification.Fields.Add("Reporting-UA", $"{reportingUa}; SecureFallback");
        notification.Fields.Add("Final-Recipient", $"rfc822; {recipient}");
        if (originalId is not null)
        {
            notification.Fields.Add("Original-Message-ID", originalId.Trim()); // the raw header value keeps its <>
        }

        notification.Fields.Add("Disposition", "automatic-action/MDN-sent-automatically; displayed");
        var about = subject is null ? "" : $" (\"{subject}\")";
        var when = displayedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        var text = $"Your message to {recipient}{about}, which was held for secure pickup, was opened at the secure portal on {when} UTC.\n\n" +
            "This shows the message was displayed; it does not prove it was read or understood.\n";
        mdn.Body = new MultipartReport("disposition-notification")
        {
            new TextPart("plain") { Text = text },
            notification,
        };
        return mdn;
    }
}
