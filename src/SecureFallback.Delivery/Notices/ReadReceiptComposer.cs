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
    public string Lines(MailWords words) =>
        words.Format("Reading.Network", Network ?? words["Unknown"]) + "\n" +
        words.Format("Reading.Browser", Browser ?? words["Unknown"]) + "\n" +
        words.Format("Reading.AccountCreated", words.YesNo(AccountCreatedHere)) + "\n";
}

/// <summary>
/// Builds RFC 8098 message disposition notifications ("displayed") with MimeKit: the human-readable part in the
/// sender's language, the disposition fields in the RFC's ASCII.
/// </summary>
internal sealed class ReadReceiptComposer(string reportingUa, MailboxAddress from, TimeProvider timeProvider, MailBrand? brand = null)
{
    private readonly MailBrand _brand = brand ?? MailBrand.Unnamed;

    public MimeMessage Compose(string sender, string recipient, HeaderList originalHeaders, Reading reading, MailWords? words = null)
    {
        words ??= MailLanguage.Default.Words;
        var subject = originalHeaders[HeaderId.Subject];
        var mdn = new MimeMessage();
        mdn.From.Add(_brand.From(from));
        mdn.To.Add(EnvelopeMailbox.Create(sender));
        mdn.Subject = words.Format("Mdn.Subject", subject ?? words["NoSubject"]);
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
        var text = words.Format("Mdn.Text", recipient, about, words.When(reading.At)) + "\n\n" +
            reading.Lines(words) + "\n" +
            words["Mdn.Caveat"] + "\n" +
            _brand.TextFooter(words);
        mdn.Body = new MultipartReport("disposition-notification")
        {
            new TextPart("plain") { Text = text },
            notification,
        };
        return mdn;
    }
}
