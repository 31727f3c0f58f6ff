using System.Globalization;
using System.Net;
using MimeKit;
using MimeKit.Utils;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// Builds the mail that tells an account's address its second step changed (a passkey added or removed, the
/// authenticator app turned on or off). Whoever holds the password can give an account its first second step, so the
/// owner must hear of every change: this mail is how one they did not make comes to light. No link, no code.
/// </summary>
internal sealed class SecondStepMailComposer(string organization, Uri portal, MailboxAddress from, string reportingMta)
{
    public MimeMessage Compose(string recipient, string change, DateTimeOffset now)
    {
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(EnvelopeMailbox.Create(recipient));
        message.Subject = $"The sign-in of your account on {organization}'s secure message portal changed";
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(reportingMta);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var when = now.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            Hello,

            The two-step sign-in of this address's account on the secure message portal ({portal}) changed on {when}:
                {change}

            If you did this, there is nothing to do.
            If you did not, someone else knows your portal password and may be reading your messages there. Tell the
            sender of your messages and {organization}'s administrators at once (by phone, not by replying to this
            mail): they can lock the account and let you pick up your messages safely.
            """);
        static string E(string text) => WebUtility.HtmlEncode(text);
        var html = string.Create(CultureInfo.InvariantCulture, $"""
            <!doctype html>
            <html lang="en"><body style="font-family:sans-serif;line-height:1.5;max-width:40rem">
            <p>Hello,</p>
            <p>The two-step sign-in of this address's account on the secure message portal ({E(portal.ToString())}) changed on {E(when)}:
            <strong>{E(change)}</strong></p>
            <p>If you did this, there is nothing to do.</p>
            <p>If you did not, someone else knows your portal password and may be reading your messages there. Tell the
            sender of your messages and {E(organization)}'s administrators at once (by phone, not by replying to this
            mail): they can lock the account and let you pick up your messages safely.</p>
            </body></html>
            """);
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }
}
