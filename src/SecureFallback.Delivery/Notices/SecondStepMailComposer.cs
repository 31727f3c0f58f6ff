using MimeKit;
using MimeKit.Utils;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// Builds the mail that tells an account's address its second step changed (a passkey added or removed, the
/// authenticator app turned on or off). Whoever holds the password can give an account its first second step, so the
/// owner must hear of every change: this mail is how one they did not make comes to light. No link, no code.
/// </summary>
internal sealed class SecondStepMailComposer(MailBrand brand, Uri portal, MailboxAddress from, string reportingMta)
{
    /// <param name="recipient">The account's address.</param>
    /// <param name="change">What changed, as the portal words it.</param>
    /// <param name="now">When.</param>
    /// <param name="words">The address's language; English when not given.</param>
    public MimeMessage Compose(string recipient, string change, DateTimeOffset now, MailWords? words = null)
    {
        words ??= MailLanguage.Default.Words;
        var message = new MimeMessage();
        message.From.Add(brand.From(from));
        message.To.Add(EnvelopeMailbox.Create(recipient));
        message.Subject = words.Format("SecondStep.Subject", brand.OrganizationIn(words));
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(reportingMta);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var changed = words.Format("SecondStep.Changed", portal, words.When(now));
        var ifNot = words.Format("SecondStep.IfNot", brand.OrganizationIn(words));
        var text = $"""
            {words["Hello"]}

            {changed}
                {change}

            {words["SecondStep.IfYou"]}
            {ifNot}

            """ + brand.TextFooter(words);
        static string E(string text) => MailBrand.E(text);
        var html = brand.Html(words, $"""
            <p>{E(words["Hello"])}</p>
            <p>{E(changed)}<br><strong>{E(change)}</strong></p>
            <p>{E(words["SecondStep.IfYou"])}</p>
            <p>{E(ifNot)}</p>
            """);
        message.Body = MailBrand.Body(text, html);
        return message;
    }
}
