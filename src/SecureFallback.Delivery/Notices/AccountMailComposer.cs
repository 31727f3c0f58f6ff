using MimeKit;
using MimeKit.Utils;
using SecureFallback.Core.Pickup;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// Builds the mail with a one-time code for the recipient's portal account, in the address's language. Same rules as
/// the pickup notice: the organisation's name, the portal address to type by hand, no link needed, no urgency, and
/// what to do if the recipient did not ask for it.
/// </summary>
internal sealed class AccountMailComposer(MailBrand brand, Uri portal, MailboxAddress from, string reportingMta)
{
    public MimeMessage Compose(string recipient, AccountMailPurpose purpose, string code, TimeSpan validFor, DateTimeOffset now, MailWords? words = null)
    {
        words ??= MailLanguage.Default.Words;
        var (subject, why, where) = purpose switch
        {
            AccountMailPurpose.Registration => ("Account.RegistrationSubject", "Account.RegistrationWhy", new Uri(portal, "register")),
            _ => ("Account.ResetSubject", "Account.ResetWhy", new Uri(portal, "forgot-password")),
        };
        var minutes = (int)Math.Ceiling(validFor.TotalMinutes);
        var message = new MimeMessage();
        message.From.Add(brand.From(from));
        message.To.Add(EnvelopeMailbox.Create(recipient));
        message.Subject = words.Format(subject, brand.OrganizationIn(words));
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(reportingMta);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var enter = words.Format("Account.Enter", where, minutes);
        var text = $"""
            {words["Hello"]}

            {words[why]}

            {words["Account.Code"]}
                {code}

            {enter}

            {words["Account.Ignore"]}
            {words.Format("Account.NobodyAsks", brand.OrganizationIn(words))}

            """ + brand.TextFooter(words);
        static string E(string text) => MailBrand.E(text);
        var html = brand.Html(words, $"""
            <p>{E(words["Hello"])}</p>
            <p>{E(words[why])}</p>
            <p>{E(words["Account.Code"])} <strong style="font-family:Consolas,monospace;font-size:1.3em">{E(code)}</strong></p>
            <p>{E(enter)}</p>
            <p>{E(words["Account.Ignore"])}<br>{E(words.Format("Account.NobodyAsks", brand.OrganizationIn(words)))}</p>
            """);
        message.Body = MailBrand.Body(text, html);
        return message;
    }
}
