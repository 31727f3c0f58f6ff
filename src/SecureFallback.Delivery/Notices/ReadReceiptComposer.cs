using MimeKit;
using MimeKit.Utils;

namespace SecureFallback.Delivery.Notices;

/// <summary>Who opened a held copy, as the sender is told: never the reader's full address, only its network.</summary>
/// <param name="At">When.</param>
/// <param name="Network">The reader's network (/24 or /64), or null when unknown.</param>
/// <param name="Browser">The browser family, or null when unknown.</param>
/// <param name="AccountCreatedHere">True when the account was created through this message's own link or code.</param>
internal sealed record Reading(DateTimeOffset At, string? Network, string? Browser, bool AccountCreatedHere)
{
    /// <summary>The lines the sender's reports show, the same in each of them.</summary>
    public string Lines =>
        $"Network: {Network ?? "unknown"}\nBrowser: {Browser ?? "unknown"}\nAccount created for this message: {(AccountCreatedHere ? "yes" : "no")}\n";

    public string When => At.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " UTC";
}

/// <summary>Builds RFC 8098 message disposition notifications ("displayed") with MimeKit.</summary>
internal sealed class ReadReceiptComposer(string reportingUa, MailboxAddress from, TimeProvider timeProvider)
{
    public MimeMessage Compose(string sender, string recipient, HeaderList originalHeaders, Reading reading)
    {
        var subject = originalHeaders[HeaderId.Subject];
        var mdn = new MimeMessage();
        mdn.From.Add(from);
        mdn.To.Add(EnvelopeMailbox.Create(sender));
        mdn.Subject = $"Read: {subject ?? "(no subject)"}";
        mdn.Date = timeProvider.GetUtcNow();
        mdn.MessageId = MimeUtils.GenerateMessageId(reportingUa);
        mdn.Headers.Add("Auto-Submitted", "auto-replied");
        var originalId = OriginalMessageId.Of(originalHeaders);
        OriginalMessageId.ReferTo(mdn, originalHeaders);

        var notification = new MessageDispositionNotification();
        notification.Fields.Add("Reporting-UA", $"{reportingUa}; SecureFallback");
        notification.Fields.Add("Final-Recipient", $"rfc822; {recipient}");
        if (originalId is not null)
        {
            notification.Fields.Add("Original-Message-ID", $"<{originalId}>");
        }

        notification.Fields.Add("Disposition", "automatic-action/MDN-sent-automatically; displayed");
        var about = subject is null ? "" : $" (\"{subject}\")";
        var text = $"Your message to {recipient}{about}, which was held for secure pickup, was opened at the secure portal on {reading.When}.\n\n" +
            reading.Lines + "\n" +
            "This shows the message was displayed; it does not prove it was read or understood. \"Account created for this\n" +
            "message: yes\" means the portal account was made with this message's own link or code, moments or days\n" +
            "before; if you did not expect the network or browser, check with the recipient by phone.\n";
        mdn.Body = new MultipartReport("disposition-notification")
        {
            new TextPart("plain") { Text = text },
            notification,
        };
        return mdn;
    }
}
