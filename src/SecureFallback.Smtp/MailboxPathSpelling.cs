using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SecureFallback.Smtp;

/// <summary>
/// Respells the path of a MAIL or RCPT command line (decoded as Latin-1, one char per octet) so that SmtpServer's
/// parser reads the mailbox RFC 5321 means:
/// <list type="bullet">
/// <item>SmtpServer reads a quoted local part by trimming every '"' from both ends and passing the rest to
/// <see cref="Regex.Unescape"/>: <c>"a\n"</c> becomes a line feed and <c>"a\x41"</c> becomes <c>aA</c>, where RFC 5321
/// 4.1.2 means <c>an</c> and <c>ax41</c>, and <c>"a\""</c> loses its last quote. Each quoted pair <c>\c</c> is spelled
/// the way that reading gives back <c>c</c>: '"' and '\' as <c>\x22</c> and <c>\x5C</c>, anything else as itself
/// (it is qtext).</item>
/// <item>SmtpServer decodes the domain as ASCII, so a domain sent in UTF-8 (a U-label, as SMTPUTF8 clients such as
/// MailKit send IDNs) would arrive as '?'s. It is turned into its A-label (<c>xn--</c>) form here, while the octets
/// are still there; a domain that is not valid UTF-8 or not a valid IDN is left as it is (and refused later).</item>
/// </list>
/// </summary>
internal static partial class MailboxPathSpelling
{
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true };

    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

    /// <summary>The line with its path respelled, or null when nothing needed it (or it is no MAIL/RCPT path).</summary>
    public static string? Respell(string text)
    {
        var command = MailOrRcpt().Match(text);
        if (!command.Success)
        {
            return null;
        }

        var path = new StringBuilder(text.Length + 8);
        var (quoted, changed, domainStart) = (false, false, -1);
        for (var i = command.Length; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && quoted && i + 1 < text.Length)
            {
                var escaped = text[++i];
                path.Append(escaped switch { '"' => @"\x22", '\\' => @"\x5C", _ => escaped.ToString() });
                changed = true;
                continue;
            }

            if (c == '>' && !quoted)
            {
                changed |= RespellDomain(path, domainStart);
                return changed ? $"{text[..command.Length]}{path}{text[i..]}" : null;
            }

            quoted ^= c == '"';
            domainStart = c == '@' && !quoted ? path.Length + 1 : domainStart;
            path.Append(c);
        }

        return null; // no end of path: SmtpServer refuses the line as it stands
    }

    /// <summary>Replaces a UTF-8 domain (from <paramref name="start"/> to the end of <paramref name="path"/>) by its A-label.</summary>
    private static bool RespellDomain(StringBuilder path, int start)
    {
        if (start < 0 || start >= path.Length)
        {
            return false;
        }

        var domain = path.ToString(start, path.Length - start);
        if (domain.All(char.IsAscii))
        {
            return false;
        }

        try
        {
            var aLabel = Idn.GetAscii(StrictUtf8.GetString(Encoding.Latin1.GetBytes(domain)));
            path.Length = start;
            path.Append(aLabel);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>MAIL FROM: or RCPT TO: up to the path's opening '&lt;', as SmtpServer skips blanks.</summary>
    [GeneratedRegex(@"\A(?:MAIL[\x00-\x20]+FROM|RCPT[\x00-\x20]+TO):[\x00-\x20]*<", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MailOrRcpt();
}
