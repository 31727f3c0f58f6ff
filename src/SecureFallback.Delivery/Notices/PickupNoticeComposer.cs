using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace SecureFallback.Delivery.Notices;

/// <summary>What a pickup notice says: who sent what when, where to pick it up, and how to check the notice.</summary>
internal sealed record PickupNotice(
    MailboxAddress OriginalSender,
    DateTimeOffset SentAt,
    string? Subject,
    string Recipient,
    string ReferenceCode,
    string Token,
    DateTimeOffset ExpiresAt,
    bool HeldByRule = false,
    bool PinRequired = false);

/// <summary>
/// Builds the notice a recipient gets when a message is held for them, in the recipient's language. Written against
/// what makes such notices look like phishing: it names the sender and the organisation, gives the portal address as
/// text to type and a reference code to enter there, so nobody has to click a link in an e-mail; the one link shows
/// its own address as its text; no urgency, no "click here", no message content, and a text part as full as the HTML.
/// </summary>
internal sealed class PickupNoticeComposer(MailBrand brand, Uri portal, MailboxAddress from, string reportingMta, TimeProvider timeProvider)
{
    public MimeMessage Compose(PickupNotice notice, MailLanguage? language = null)
    {
        var (words, second) = language ?? MailLanguage.Default;
        var senderName = string.IsNullOrWhiteSpace(notice.OriginalSender.Name) ? notice.OriginalSender.Address : notice.OriginalSender.Name;
        var message = new MimeMessage();
        message.From.Add(brand.From(from));
        message.To.Add(EnvelopeMailbox.Create(notice.Recipient));
        message.Subject = words.Format("Pickup.Subject", senderName, brand.OrganizationIn(words));
        message.Date = timeProvider.GetUtcNow();
        message.MessageId = MimeUtils.GenerateMessageId(reportingMta);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var top = second is null ? null : $"{second["LanguageName"]}: {second.Format("Pickup.SecondLine", senderName, brand.OrganizationIn(second), portal, notice.ReferenceCode)}";
        message.Body = MailBrand.Body(Text(notice, senderName, words, top), Html(notice, senderName, words, top, second?.Code));
        return message;
    }

    /// <summary>"Name &lt;address&gt;", or the bare address when the sender has no display name.</summary>
    private static string SenderLine(PickupNotice notice, string senderName) =>
        senderName == notice.OriginalSender.Address ? senderName : $"{senderName} <{notice.OriginalSender.Address}>";

    private string Why(PickupNotice notice, MailWords words) =>
        words.Format(notice.HeldByRule ? "Pickup.WhyRule" : "Pickup.WhyTls", brand.OrganizationIn(words));

    /// <summary>
    /// The subject the notice may show (<c>Notices:IncludeSubject</c>): never for a message that needs the sender's
    /// PIN, whose whole point is that reading the recipient's mail path tells nothing of it.
    /// </summary>
    private static string? ShownSubject(PickupNotice notice) => notice.PinRequired ? null : notice.Subject;

    private Uri PickupLink(string token) => new(portal, $"pickup/{token}");

    private string Text(PickupNotice notice, string senderName, MailWords words, string? top)
    {
        var text = new StringBuilder();
        if (top is not null)
        {
            text.Append(top).Append("\n\n");
        }

        text.Append(words["Hello"]).Append("\n\n")
            .Append(words.Format("Pickup.Sent", SenderLine(notice, senderName), words.When(notice.SentAt))).Append('\n');
        if (ShownSubject(notice) is { } subject)
        {
            text.Append(words.Format("Pickup.SubjectLine", subject)).Append('\n');
        }

        text.Append('\n').Append(Why(notice, words)).Append("\n\n")
            .Append(words["Pickup.GoToPortal"]).Append("\n    ").Append(portal).Append('\n')
            .Append(words["Pickup.EnterCode"]).Append("\n    ").Append(notice.ReferenceCode).Append("\n\n");
        if (notice.PinRequired)
        {
            text.Append(words.Format("Pickup.Pin", senderName)).Append("\n\n");
        }

        text.Append(words["Pickup.PersonalLink"]).Append("\n    ").Append(PickupLink(notice.Token)).Append("\n\n")
            .Append(words.Format("Pickup.Until", words.When(notice.ExpiresAt))).Append("\n\n")
            .Append(words["Pickup.CheckTitle"]).Append('\n')
            .Append("- ").Append(words.Format("Pickup.CheckHost", portal.Host)).Append('\n')
            .Append("- ").Append(words["Pickup.CheckPassword"]).Append('\n')
            .Append("- ").Append(words.Format("Pickup.CheckSender", senderName)).Append("\n\n")
            .Append(words["Pickup.NoContent"]).Append('\n')
            .Append(brand.TextFooter(words));
        return text.ToString();
    }

    private string Html(PickupNotice notice, string senderName, MailWords words, string? top, string? topLanguage)
    {
        static string E(string? text) => MailBrand.E(text);
        var subjectLine = ShownSubject(notice) is { } subject ? $"<p>{E(words.Format("Pickup.SubjectLine", subject))}</p>" : "";
        var pin = notice.PinRequired ? $"<p><strong>{E(words.Format("Pickup.Pin", senderName))}</strong></p>" : "";
        var link = PickupLink(notice.Token).ToString();
        var accent = brand.Accent;
        var body = $"""
            <p>{E(words["Hello"])}</p>
            <p>{E(words.Format("Pickup.Sent", SenderLine(notice, senderName), words.When(notice.SentAt)))}</p>
            {subjectLine}
            <p>{E(Why(notice, words))}</p>
            <p>{E(words["Pickup.GoToPortal"])}<br><strong>{E(portal.ToString())}</strong><br>{E(words["Pickup.EnterCode"])}</p>
            <p style="border-left:4px solid {accent};padding:8px 12px;background:#f4f4f4">{E(words["Pickup.ReferenceCode"])}<br><strong style="font-family:Consolas,monospace;font-size:1.5em;letter-spacing:0.1em">{E(notice.ReferenceCode)}</strong></p>
            {pin}
            <p>{E(words["Pickup.PersonalLink"])}<br><a href="{E(link)}" style="color:{accent}">{E(link)}</a></p>
            <p>{E(words.Format("Pickup.Until", words.When(notice.ExpiresAt)))}</p>
            <p><strong>{E(words["Pickup.CheckTitle"])}</strong></p>
            <ul>
            <li>{E(words.Format("Pickup.CheckHost", portal.Host))}</li>
            <li>{E(words["Pickup.CheckPassword"])}</li>
            <li>{E(words.Format("Pickup.CheckSender", senderName))}</li>
            </ul>
            <p>{E(words["Pickup.NoContent"])}</p>
            """;
        var topHtml = top is null ? null : $"<p lang=\"{topLanguage}\" style=\"padding:8px 12px;background:#f4f4f4\">{E(top)}</p>";
        return brand.Html(words, body, topHtml);
    }
}
