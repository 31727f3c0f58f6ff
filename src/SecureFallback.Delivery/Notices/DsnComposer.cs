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
/// the body, since the body is exactly what could not be sent safely. The human-readable part and the subject are in
/// the sender's language (<see cref="NoticeLanguages"/>); the delivery-status fields stay the RFC's ASCII.
/// </summary>
internal sealed class DsnComposer(string reportingMta, MailboxAddress from, TimeProvider timeProvider, MailBrand? brand = null)
{
    private readonly MailBrand _brand = brand ?? MailBrand.Unnamed;

    /// <param name="original">The message reported on.</param>
    /// <param name="failed">Its recipients to report.</param>
    /// <param name="originalHeaders">Its headers, attached.</param>
    /// <param name="pins">For held recipients whose copy needs the sender's PIN: the PIN to pass on, by recipient id.</param>
    /// <param name="links">For held recipients: the sender's revoke and extend links, by recipient id.</param>
    /// <param name="words">The sender's language; English when not given.</param>
    public MimeMessage Compose(QueuedMessage original, IReadOnlyList<QueuedRecipient> failed, HeaderList originalHeaders, IReadOnlyDictionary<long, HeldPin>? pins = null, IReadOnlyDictionary<long, HeldLinks>? links = null, MailWords? words = null)
    {
        words ??= MailLanguage.Default.Words;
        var dsn = new MimeMessage();
        dsn.From.Add(_brand.From(from));
        dsn.To.Add(EnvelopeMailbox.Create(original.EnvelopeFrom));
        dsn.Subject = words[Subject(failed)];
        dsn.Date = timeProvider.GetUtcNow();
        dsn.MessageId = MimeUtils.GenerateMessageId(reportingMta);
        dsn.Headers.Add("Auto-Submitted", "auto-replied");
        OriginalMessageId.ReferTo(dsn, originalHeaders);

        var report = new MultipartReport("delivery-status")
        {
            new TextPart("plain") { Text = HumanReadable(original, failed, pins ?? new Dictionary<long, HeldPin>(), links ?? new Dictionary<long, HeldLinks>(), words) },
            StatusPart(original, failed),
            new TextRfc822Headers { Message = new MimeMessage((IEnumerable<Header>)originalHeaders) },
        };
        dsn.Body = report;
        return dsn;
    }

    /// <summary>The key of the subject's text.</summary>
    private static string Subject(IReadOnlyList<QueuedRecipient> reported) => reported switch
    {
        _ when reported.All(r => r.Status == RecipientStatus.Delivered) => "Dsn.Subject.Delivered",
        _ when reported.All(r => r.Status == RecipientStatus.HeldForPickup) => "Dsn.Subject.Held",
        _ when reported.All(r => r.Status == RecipientStatus.PickupExpired) => "Dsn.Subject.Expired",
        _ when reported.All(r => r.LastOutcome?.IsTlsFailure() == true && r.Status == RecipientStatus.Failed) => "Dsn.Subject.NoTls",
        _ when reported.Any(r => r.Status is RecipientStatus.Failed or RecipientStatus.PickupExpired) => "Dsn.Subject.Failed",
        _ => "Dsn.Subject.Status",
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

    private string HumanReadable(QueuedMessage original, IReadOnlyList<QueuedRecipient> reported, IReadOnlyDictionary<long, HeldPin> pins, IReadOnlyDictionary<long, HeldLinks> links, MailWords words)
    {
        var text = new StringBuilder();
        text.Append(words.Format("Dsn.Intro", reportingMta, _brand.OrganizationIn(words))).Append("\n\n");
        text.Append(words.Format("Dsn.About", words.When(original.ReceivedAt))).Append("\n\n");
        foreach (var recipient in reported)
        {
            text.Append('<').Append(recipient.Address).Append(">: ").Append(Explain(recipient, words)).Append('\n');
            if (recipient.Diagnostic is { } diagnostic)
            {
                text.Append("    ").Append(recipient.RemoteHost is null ? "" : recipient.RemoteHost + ": ").Append(OneLine(diagnostic)).Append('\n');
            }

            if (pins.TryGetValue(recipient.Id, out var pin))
            {
                AppendPin(text, recipient.Address, pin, words);
            }

            if (links.TryGetValue(recipient.Id, out var link))
            {
                text.Append("\n    ").Append(words["Dsn.RevokeLink"]).Append("\n        ").Append(link.Revoke)
                    .Append("\n    ").Append(words["Dsn.ExtendLink"]).Append("\n        ").Append(link.Extend)
                    .Append("\n    ").Append(words["Dsn.LinksPrivate"]).Append('\n');
            }

            text.Append('\n');
        }

        text.Append(words["Dsn.Attached"]).Append('\n').Append(_brand.TextFooter(words));
        return text.ToString();
    }

    private static void AppendPin(StringBuilder text, string address, HeldPin pin, MailWords words)
    {
        text.Append('\n');
        if (pin.Pin is null)
        {
            text.Append("    ").Append(words["Pin.Earlier"]).Append('\n');
            return;
        }

        text.Append("    ").Append(words["Pin.Tell"]).Append('\n')
            .Append("        ").Append(words.Format("Pin.Line", address, pin.Pin)).Append('\n')
            .Append("    ").Append(words["Pin.NewPin"]).Append('\n')
            .Append("        ").Append(pin.NewPinLink).Append('\n');
    }

    private static string Explain(QueuedRecipient recipient, MailWords words) => recipient.Status switch
    {
        RecipientStatus.Delivered => words.Format("Dsn.Delivered", recipient.CompletedAt is { } at ? words.When(at) : ""),
        RecipientStatus.HeldForPickup => words.Format("Dsn.Held", WhyNoTls(recipient, words), recipient.HoldUntil is { } until ? words.When(until) : ""),
        RecipientStatus.Revoked => words.Format("Dsn.Revoked", recipient.Diagnostic),
        RecipientStatus.PickupExpired => words["Dsn.Expired"],
        _ => words[FailureKey(recipient)],
    };

    private static string WhyNoTls(QueuedRecipient recipient, MailWords words) => recipient.Reason switch
    {
        FailureReason.StartTlsNotSupported => words["Why.NoStartTls"],
        FailureReason.PolicyPickup => words["Why.Rule"],
        FailureReason.CertificateNotTrusted or FailureReason.CertificateExpired or FailureReason.CertificateHostMismatch or FailureReason.DaneRequired =>
            words.Format("Why.Certificate", recipient.Reason),
        _ => words["Why.NoTls"],
    };

    private static string FailureKey(QueuedRecipient recipient) => recipient.Reason switch
    {
        FailureReason.StartTlsNotSupported => "Fail.NoStartTls",
        FailureReason.ValidationFailure => "Fail.Validation",
        FailureReason.QueueExpired => "Fail.QueueExpired",
        FailureReason.DomainNotFound => "Fail.DomainNotFound",
        FailureReason.NullMx => "Fail.NullMx",
        FailureReason.NoAddress => "Fail.NoAddress",
        _ => "Fail.Refused",
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
