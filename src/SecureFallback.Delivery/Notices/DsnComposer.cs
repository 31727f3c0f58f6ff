using System.Globalization;
using System.Text;
using MimeKit;
using MimeKit.Utils;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;

namespace SecureFallback.Delivery.Notices;

/// <summary>A held recipient's PIN as the held DSN gives it to the sender, with the link that issues a new one.</summary>
/// <param name="Pin">The PIN, formatted; it exists in clear only here and inside the sealed DSN.</param>
/// <param name="NewPinLink">The sender's link to issue a new PIN, or null when the PIN of an earlier report still applies.</param>
internal sealed record HeldPin(string? Pin, Uri? NewPinLink);

/// <summary>A held copy's links for the sender: revoke it, or keep it longer. Each token does one thing only.</summary>
internal sealed record HeldLinks(Uri Revoke, Uri Extend);

/// <summary>
/// Builds RFC 3464 delivery status notifications with MimeKit: a human-readable part, the
/// <c>message/delivery-status</c> fields, and the original headers only (<c>text/rfc822-headers</c>) — never
/// the body, since the body is exactly what could not be sent safely.
/// </summary>
internal sealed class DsnComposer(string reportingMta, MailboxAddress from, TimeProvider timeProvider)
{
    /// <param name="original">The message reported on.</param>
    /// <param name="failed">Its recipients to report.</param>
    /// <param name="originalHeaders">Its headers, attached.</param>
    /// <param name="pins">For held recipients whose copy needs the sender's PIN: the PIN to pass on, by recipient id.</param>
    /// <param name="links">For held recipients: the sender's revoke and extend links, by recipient id.</param>
    public MimeMessage Compose(QueuedMessage original, IReadOnlyList<QueuedRecipient> failed, HeaderList originalHeaders, IReadOnlyDictionary<long, HeldPin>? pins = null, IReadOnlyDictionary<long, HeldLinks>? links = null)
    {
        var dsn = new MimeMessage();
        dsn.From.Add(from);
        dsn.To.Add(EnvelopeMailbox.Create(original.EnvelopeFrom));
        dsn.Subject = Subject(failed);
        dsn.Date = timeProvider.GetUtcNow();
        dsn.MessageId = MimeUtils.GenerateMessageId(reportingMta);
        dsn.Headers.Add("Auto-Submitted", "auto-replied");
        OriginalMessageId.ReferTo(dsn, originalHeaders);

        var report = new MultipartReport("delivery-status")
        {
            new TextPart("plain") { Text = HumanReadable(original, failed, pins ?? new Dictionary<long, HeldPin>(), links ?? new Dictionary<long, HeldLinks>()) },
            StatusPart(original, failed),
            new TextRfc822Headers { Message = new MimeMessage((IEnumerable<Header>)originalHeaders) },
        };
        dsn.Body = report;
        return dsn;
    }

    private static string Subject(IReadOnlyList<QueuedRecipient> reported) => reported switch
    {
        _ when reported.All(r => r.Status == RecipientStatus.Delivered) => "Delivered securely (TLS)",
        _ when reported.All(r => r.Status == RecipientStatus.HeldForPickup) => "Held for secure pickup: no encrypted connection to the recipient's server",
        _ when reported.All(r => r.Status == RecipientStatus.PickupExpired) => "Not picked up: your message expired unread",
        _ when reported.All(r => r.LastOutcome?.IsTlsFailure() == true && r.Status == RecipientStatus.Failed) =>
            "Not delivered: no secure (TLS) connection to the recipient's server",
        _ when reported.Any(r => r.Status is RecipientStatus.Failed or RecipientStatus.PickupExpired) => "Undelivered mail returned to sender",
        _ => "Delivery status of your message",
    };

    /// <summary>RFC 3464 action: relayed for a held copy (it left our normal delivery path), else delivered or failed.</summary>
    private static string ActionOf(QueuedRecipient recipient) => recipient.Status switch
    {
        RecipientStatus.Delivered => "delivered",
        RecipientStatus.HeldForPickup => "relayed",
        _ => "failed",
    };

    private MessageDeliveryStatus StatusPart(QueuedMessage original, IReadOnlyList<QueuedRecipient> failed)
    {
        var status = new MessageDeliveryStatus();
        var perMessage = new HeaderList
        {
            { "Reporting-MTA", $"dns; {reportingMta}" },
            { "X-SecureFallback-Queue-ID", original.Id.ToString("N") },
            { "Arrival-Date", DateUtils.FormatDate(original.ReceivedAt) },
        };
        status.StatusGroups.Add(perMessage);

        foreach (var recipient in failed)
        {
            var fields = new HeaderList
            {
                { "Final-Recipient", $"rfc822; {recipient.Address}" },
                { "Action", ActionOf(recipient) },
                { "Status", recipient.StatusCode ?? "5.0.0" },
            };
            if (recipient.RemoteHost is { } host)
            {
                fields.Add("Remote-MTA", $"dns; {host}");
            }

            if (recipient.Diagnostic is { } diagnostic)
            {
                fields.Add("Diagnostic-Code", $"smtp; {OneLine(diagnostic)}");
            }

            if (recipient.CompletedAt is { } at)
            {
                fields.Add("Last-Attempt-Date", DateUtils.FormatDate(at));
            }

            status.StatusGroups.Add(fields);
        }

        return status;
    }

    private string HumanReadable(QueuedMessage original, IReadOnlyList<QueuedRecipient> reported, IReadOnlyDictionary<long, HeldPin> pins, IReadOnlyDictionary<long, HeldLinks> links)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"This is the mail system at {reportingMta} (SecureFallback).");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"About your message received {original.ReceivedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC:");
        text.AppendLine();
        foreach (var recipient in reported)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"<{recipient.Address}>: {Explain(recipient)}");
            if (recipient.Diagnostic is { } diagnostic)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"    {(recipient.RemoteHost is null ? "" : recipient.RemoteHost + ": ")}{OneLine(diagnostic)}");
            }

            if (pins.TryGetValue(recipient.Id, out var pin))
            {
                AppendPin(text, recipient.Address, pin);
            }

            if (links.TryGetValue(recipient.Id, out var link))
            {
                text.AppendLine();
                text.AppendLine("    To withdraw this copy (it is destroyed and the recipient can no longer read it), open:");
                text.AppendLine(CultureInfo.InvariantCulture, $"        {link.Revoke}");
                text.AppendLine("    To keep it for the recipient 14 days longer, open:");
                text.AppendLine(CultureInfo.InvariantCulture, $"        {link.Extend}");
                text.AppendLine("    Both ask you to confirm; keep these links to yourself: whoever has them can use them.");
            }

            text.AppendLine();
        }

        text.AppendLine("The original message's headers are attached; its content is not.");
        return text.ToString();
    }

    private static void AppendPin(StringBuilder text, string address, HeldPin pin)
    {
        text.AppendLine();
        if (pin.Pin is null)
        {
            text.AppendLine("    The message opens only with the PIN given in our earlier report about it; that PIN still applies.");
            return;
        }

        text.AppendLine("    The message opens only with this PIN. Give it to the recipient yourself by PHONE or TEXT MESSAGE,");
        text.AppendLine("    NEVER BY E-MAIL: their mail travels without encryption, so whoever can read it must not get the PIN.");
        text.AppendLine(CultureInfo.InvariantCulture, $"        PIN for <{address}>: {pin.Pin}");
        text.AppendLine("    After five wrong PINs the message is locked for the recipient. To give them a new PIN, open:");
        text.AppendLine(CultureInfo.InvariantCulture, $"        {pin.NewPinLink}");
    }

    private static string Explain(QueuedRecipient recipient) => recipient.Status switch
    {
        RecipientStatus.Delivered =>
            $"delivered over an encrypted (TLS) connection at {recipient.CompletedAt?.UtcDateTime:yyyy-MM-dd HH:mm} UTC.",
        RecipientStatus.HeldForPickup =>
            $"held for secure pickup, because {WhyNoTls(recipient)}. It was not sent in clear text. The recipient is told " +
            $"by a separate notice (without your message's content) and can pick it up at our secure portal until " +
            $"{recipient.HoldUntil?.UtcDateTime:yyyy-MM-dd HH:mm} UTC.",
        RecipientStatus.Revoked =>
            $"held for secure pickup, then revoked ({recipient.Diagnostic}); the recipient can no longer read it.",
        RecipientStatus.PickupExpired =>
            "held for secure pickup but not picked up before the hold expired; the stored copy has been destroyed.",
        _ => ExplainFailure(recipient),
    };

    private static string WhyNoTls(QueuedRecipient recipient) => recipient.Reason switch
    {
        FailureReason.StartTlsNotSupported => "the receiving server does not support encryption (it offered no STARTTLS)",
        FailureReason.PolicyPickup => "a rule of your organisation sends messages like this one through the secure portal",
        FailureReason.CertificateNotTrusted or FailureReason.CertificateExpired or FailureReason.CertificateHostMismatch or FailureReason.DaneRequired =>
            $"the receiving server's certificate did not meet the TLS policy for this domain ({recipient.Reason})",
        _ => "an encrypted (TLS) connection to the receiving server could not be established",
    };

    private static string ExplainFailure(QueuedRecipient recipient) => recipient.Reason switch
    {
        FailureReason.StartTlsNotSupported =>
            "the receiving server does not support encryption (it offered no STARTTLS). Your organisation requires encrypted delivery, so the message was not sent in clear text.",
        FailureReason.ValidationFailure =>
            "an encrypted (TLS) connection to the receiving server could not be established. The message was not sent in clear text.",
        FailureReason.QueueExpired =>
            "delivery kept failing temporarily until the queue time limit was reached.",
        FailureReason.DomainNotFound => "the recipient's domain does not exist.",
        FailureReason.NullMx => "the recipient's domain does not accept mail (null MX).",
        FailureReason.NoAddress => "the recipient's mail server has no address in DNS.",
        _ => "the receiving server refused the recipient.",
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
