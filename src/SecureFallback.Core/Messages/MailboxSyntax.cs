using System.Globalization;
using System.Text;

namespace SecureFallback.Core.Messages;

/// <summary>
/// The one stored spelling of a mailbox: its RFC 5321 form (4.1.2). The local part is a dot-string when it is one
/// and a quoted string otherwise (<c>"john smith"@x.test</c>, <c>"a\"b"@x.test</c>), with only <c>\</c> and
/// <c>"</c> escaped; its case is kept. The domain is kept as received, except that an internationalised domain is
/// stored as its A-label (<c>xn--…</c>), so routes, policies and pickup grants all see one name.
/// </summary>
public static class MailboxSyntax
{
    /// <summary>RFC 5322 atext other than letters and digits (RFC 5321 uses the same set).</summary>
    private const string AtextSpecials = "!#$%&'*+-/=?^_`{|}~";

    /// <summary>
    /// The RFC 5321 form of a mailbox from its parts as an SMTP parser hands them (the local part unquoted).
    /// False when the local part holds a character no quoted string can carry: an ASCII control character (only
    /// octets 32-126 may be quoted, RFC 5321 4.1.2), so no mail system could deliver to it.
    /// </summary>
    public static bool TryFormat(string localPart, string domain, out string address)
    {
        address = "";
        if (localPart.Any(char.IsControl))
        {
            return false;
        }

        address = $"{(IsDotString(localPart) ? localPart : Quote(localPart))}@{AsciiDomain(domain)}";
        return true;
    }

    /// <summary>
    /// Splits a stored RFC 5321 mailbox into its local part (quotes and escapes removed) and its domain. False for
    /// anything else, such as the unquoted <c>john smith@x.test</c> an older intake stored.
    /// </summary>
    public static bool TrySplit(string address, out string localPart, out string domain)
    {
        (localPart, domain) = ("", "");
        int at;
        if (address.StartsWith('"'))
        {
            var text = new StringBuilder();
            var i = 1;
            for (; i < address.Length && address[i] != '"'; i++)
            {
                var c = address[i];
                if (c == '\\')
                {
                    if (++i >= address.Length || address[i] is < ' ' or > '~')
                    {
                        return false; // quoted-pairSMTP: a backslash and one printable ASCII character
                    }

                    c = address[i];
                }
                else if (char.IsControl(c))
                {
                    return false;
                }

                text.Append(c);
            }

            at = i + 1;
            if (at >= address.Length || address[at] != '@')
            {
                return false;
            }

            localPart = text.ToString();
        }
        else
        {
            at = address.IndexOf('@', StringComparison.Ordinal);
            if (at < 0 || !IsDotString(address[..at]))
            {
                return false;
            }

            localPart = address[..at];
        }

        domain = address[(at + 1)..];
        return domain.Length > 0 && !domain.Any(c => char.IsControl(c) || c is ' ' or '@' or '"' or '\\');
    }

    /// <summary>
    /// Whether a local part is an RFC 5321 Dot-string: atoms of atext (with RFC 6531's UTF-8 characters) joined by
    /// single dots, no dot first or last. Anything else must be quoted.
    /// </summary>
    public static bool IsDotString(string localPart) =>
        localPart.Length > 0
        && localPart.Split('.').All(atom => atom.Length > 0 && atom.All(c => char.IsAsciiLetterOrDigit(c) || AtextSpecials.Contains(c) || c > '\x7f'));

    private static string Quote(string localPart) =>
        $"\"{localPart.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

    /// <summary>An internationalised domain as its A-label; an ASCII domain or an address literal as received.</summary>
    private static string AsciiDomain(string domain)
    {
        if (domain.All(char.IsAscii) || domain.StartsWith('['))
        {
            return domain;
        }

        try
        {
            return new IdnMapping().GetAscii(domain); // instances are not documented thread-safe
        }
        catch (ArgumentException)
        {
            return domain; // refused at RCPT already (DomainName.IsValid); kept rather than guessed
        }
    }
}
