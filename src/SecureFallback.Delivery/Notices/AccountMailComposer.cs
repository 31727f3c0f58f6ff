using System.Globalization;
using System.Net;
using MimeKit;
using MimeKit.Utils;
using SecureFallback.Core.Pickup;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// Builds the mail with a one-time code for the recipient's portal account. Same rules as the pickup notice: the
/// organisation's name, the portal address to type by hand, no link needed, no urgency, and what to do if the
/// recipient did not ask for it.
/// </summary>
internal sealed class AccountMailComposer(string organization, Uri portal, MailboxAddress from, string reportingMta)
{
    public MimeMessage Compose(string recipient, AccountMailPurpose purpose, string code, TimeSpan validFor, DateTimeOffset now)
    {
        var (subject, why, where) = purpose switch
        {
            AccountMailPurpose.Registration => (
                $"Your confirmation code for {organization}'s secure message portal",
                "Someone, probably you, asked to create an account for this address on the secure message portal.",
                new Uri(portal, "register")),
            _ => (
                $"Your password reset code for {organization}'s secure message portal",
                "Someone, probably you, asked to reset the portal password of this address.",
                new Uri(portal, "forgot-password")),
        };
        var minutes = (int)Math.Ceiling(validFor.TotalMinutes);
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.Add(EnvelopeMailbox.Create(recipient));
        message.Subject = subject;
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(reportingMta);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            Hello,

            {why}

            Your code is:
                {code}

            Enter it on the portal page where you asked for it ({where}). It can be used once, within {minutes} minutes; after three wrong tries it stops working.

            If you did not ask for this code, you can ignore this mail: without the code nothing changes.
            Nobody from {organization} will ask you for this code or for your e-mail password.
            """);
        static string E(string text) => WebUtility.HtmlEncode(text);
        var html = string.Create(CultureInfo.InvariantCulture, $"""
            <!doctype html>
            <html lang="en"><body style="font-family:sans-serif;line-height:1.5;max-width:40rem">
            <p>Hello,</p>
            <p>{E(why)}</p>
            <p>Your code is: <strong style="font-family:monospace;font-size:1.3em">{E(code)}</strong></p>
            <p>Enter it on the portal page where you asked for it ({E(where.ToString())}). It can be used once, within {minutes} minutes; after three wrong tries it stops working.</p>
            <p>If you did not ask for this code, you can ignore this mail: without the code nothing changes.
            Nobody from {E(organization)} will ask you for this code or for your e-mail password.</p>
            </body></html>
            """);
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }
}
