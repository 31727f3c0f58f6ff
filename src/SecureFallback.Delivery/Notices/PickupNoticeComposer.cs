using System.Globalization;
using System.Net;
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
/// Builds the notice a recipient gets when a message is held for them. Written against what makes such notices look
/// like phishing: it names the sender and the organisation, gives the portal address as plain text and a reference
/// code to type there, so nobody has to click a link in an e-mail; no urgency, no "click here", no message content.
/// </summary>
internal sealed class PickupNoticeComposer(string organization, Uri portal, MailboxAddress from, string reportingMta, TimeProvider timeProvider)
{
    public MimeMessage Compose(PickupNotice notice)
    {
        var senderName = string.IsNullOrWhiteSpace(notice.OriginalSender.Name) ? notice.OriginalSender.Address : notice.OriginalSender.Name;
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(EnvelopeMailbox.Create(notice.Recipient));
        message.Subject = $"{senderName} sent you a message through {organization}'s secure delivery";
        message.Date = timeProvider.GetUtcNow();
        message.MessageId = MimeUtils.GenerateMessageId(reportingMta);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var body = new BodyBuilder { TextBody = Text(notice, senderName), HtmlBody = Html(notice, senderName) };
        message.Body = body.ToMessageBody();
        return message;
    }

    /// <summary>"Name &lt;address&gt;", or the bare address when the sender has no display name.</summary>
    private static string SenderLine(PickupNotice notice, string senderName) =>
        senderName == notice.OriginalSender.Address ? senderName : $"{senderName} <{notice.OriginalSender.Address}>";

    private string Why(PickupNotice notice) => notice.HeldByRule
        ? $"{organization} delivers messages like this one only through its secure portal, where it keeps it for you."
        : $"{organization} protects confidential mail. Your mail server could not receive this message over an encrypted connection, so instead of sending it in clear text, {organization} keeps it for you on its secure portal.";

    private static string PinLine(PickupNotice notice, string senderName) => notice.PinRequired
        ? $"The message also needs a PIN: {senderName} will give it to you by phone or text message, never by e-mail. Do not trust a PIN that arrives by e-mail."
        : "";

    /// <summary>
    /// The subject the notice may show (<c>Notices:IncludeSubject</c>): never for a message that needs the sender's
    /// PIN, whose whole point is that reading the recipient's mail path tells nothing of it.
    /// </summary>
    private static string? ShownSubject(PickupNotice notice) => notice.PinRequired ? null : notice.Subject;

    private Uri PickupLink(string token) => new(portal, $"pickup/{token}");

    private string Text(PickupNotice notice, string senderName)
    {
        var subjectLine = ShownSubject(notice) is { } subject ? $"Subject: {subject}\n" : "";
        return string.Create(CultureInfo.InvariantCulture, $"""
            Hello,

            {SenderLine(notice, senderName)} sent you a message on {notice.SentAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC.
            {subjectLine}
            {Why(notice)}

            To read it, go to the portal yourself:
                {portal}
            and enter this reference code:
                {notice.ReferenceCode}{(notice.PinRequired ? "\n\n" + PinLine(notice, senderName) : "")}

            Or open your personal link (it works once):
                {PickupLink(notice.Token)}

            The message can be picked up until {notice.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC.

            How to check that this notice is genuine:
            - The portal is at {portal.Host}. You can type that address yourself instead of using any link.
            - The portal asks you to set a password for the portal only. Nobody will ask for your e-mail password.
            - If in doubt, ask {senderName} through a channel you already know, such as by phone.

            This notice contains no part of the message itself.
            """);
    }

    private string Html(PickupNotice notice, string senderName)
    {
        static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
        var subjectLine = ShownSubject(notice) is { } subject ? $"<p>Subject: {E(subject)}</p>" : "";
        var link = PickupLink(notice.Token).ToString();
        return string.Create(CultureInfo.InvariantCulture, $"""
            <!doctype html>
            <html lang="en"><body style="font-family:sans-serif;line-height:1.5;max-width:40rem">
            <p>Hello,</p>
            <p>{E(SenderLine(notice, senderName))} sent you a message on {notice.SentAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC.</p>
            {subjectLine}
            <p>{E(Why(notice))}</p>
            <p>To read it, go to the portal yourself: <strong>{E(portal.ToString())}</strong><br>
            and enter this reference code: <strong style="font-family:monospace;font-size:1.2em">{E(notice.ReferenceCode)}</strong></p>
            {(notice.PinRequired ? $"<p><strong>{E(PinLine(notice, senderName))}</strong></p>" : "")}
            <p>Or open your personal link (it works once): <a href="{E(link)}">{E(link)}</a></p>
            <p>The message can be picked up until {notice.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC.</p>
            <p><strong>How to check that this notice is genuine</strong></p>
            <ul>
            <li>The portal is at {E(portal.Host)}. You can type that address yourself instead of using any link.</li>
            <li>The portal asks you to set a password for the portal only. Nobody will ask for your e-mail password.</li>
            <li>If in doubt, ask {E(senderName)} through a channel you already know, such as by phone.</li>
            </ul>
            <p>This notice contains no part of the message itself.</p>
            </body></html>
            """);
    }
}
