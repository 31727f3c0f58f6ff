using System.Diagnostics.CodeAnalysis;
using MimeKit;
using SecureFallback.Core.Messages;

namespace SecureFallback.Delivery;

/// <summary>
/// The one way a stored address (RFC 5321 form, <see cref="MailboxSyntax"/>) becomes a MimeKit mailbox: for the
/// RCPT and MAIL of outbound delivery and for the To of every DSN, pickup notice, read receipt and account mail.
/// A quoted local part stays quoted (<c>"john smith"@x.test</c>), so MailKit writes the RCPT the intake received.
/// </summary>
internal static class EnvelopeMailbox
{
    /// <summary>
    /// The mailbox for <paramref name="address"/>, or false when none can be made: not an RFC 5321 mailbox (such as
    /// the unquoted <c>john smith@x.test</c> an older intake stored), or one MimeKit would read as another mailbox.
    /// </summary>
    public static bool TryCreate(string address, [NotNullWhen(true)] out MailboxAddress? mailbox)
    {
        mailbox = null;
        if (!MailboxSyntax.TrySplit(address, out var localPart, out var domain) || !MailboxSyntax.TryFormat(localPart, domain, out var canonical))
        {
            return false;
        }

        try
        {
            var parsed = new MailboxAddress("", canonical);
            if (!string.Equals(parsed.LocalPart, canonical[..canonical.LastIndexOf('@')], StringComparison.Ordinal))
            {
                return false; // MimeKit would write another local part than the one queued
            }

            mailbox = parsed;
            return true;
        }
        catch (ParseException)
        {
            return false;
        }
    }

    /// <summary>The mailbox for <paramref name="address"/>.</summary>
    /// <exception cref="FormatException">No mailbox can be made of <paramref name="address"/>.</exception>
    public static MailboxAddress Create(string address) =>
        TryCreate(address, out var mailbox) ? mailbox : throw new FormatException("The address is not an RFC 5321 mailbox that mail can be written to.");
}
