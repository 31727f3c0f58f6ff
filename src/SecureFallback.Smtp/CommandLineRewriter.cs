using System.Text;
using System.Text.RegularExpressions;

namespace SecureFallback.Smtp;

/// <summary>
/// Defuses command lines that fault SmtpServer's parser instead of getting a reply. SmtpServer adds MAIL parameters
/// to a dictionary keyed by a normalised name, so a repeated name (<c>SIZE=1 SIZE=2</c>, or two names that differ only
/// in non-ASCII bytes) throws and the session drops without an answer (found by the fuzz tests). Here every
/// parameter that is not an RFC 5321 esmtp-param becomes <c>MALFORMED-n</c>, and every repeat becomes
/// <c>DUPLICATE-n-NAME</c>; both parse, and <see cref="CommandLimits"/> answers them with <c>501 5.5.4</c>.
/// The line is read as SmtpServer reads it: up to CRLF, with tabs, bare CRs and LFs separating words as spaces
/// do, and a <c>&gt;</c> inside a quoted local part not ending the path.
/// A PROXY line (HAProxy's header, which SmtpServer parses as a command at any point, and which faults it when
/// truncated) becomes <see cref="RefusedProxyCommand"/>, an unknown command: we never take a client's word for its
/// address, so SmtpServer answers it as unrecognised and the session goes on.
/// A MAIL or RCPT path is first respelled so SmtpServer reads the mailbox RFC 5321 means (<see cref="MailboxPathSpelling"/>).
/// </summary>
internal static partial class CommandLineRewriter
{
    public const string DuplicatePrefix = "DUPLICATE-";
    public const string MalformedPrefix = "MALFORMED-";
    private const string RefusedProxyCommand = "XPROXY-REFUSED";

    /// <summary>Every control character and the space: none may be part of a parameter, so each separates two.</summary>
    private static readonly char[] Separators = [.. Enumerable.Range(0, 33).Select(c => (char)c)];

    public static byte[] Rewrite(byte[] line)
    {
        // Every command line passes here; only MAIL and PROXY lines (both patterns are anchored at the first byte)
        // are worth decoding.
        if (line.Length == 0 || char.ToUpperInvariant((char)line[0]) is not ('M' or 'P' or 'R'))
        {
            return line;
        }

        var text = Encoding.Latin1.GetString(line);
        if (MailboxPathSpelling.Respell(text) is { } respelled)
        {
            line = Encoding.Latin1.GetBytes(text = respelled);
        }

        if (Proxy().IsMatch(text))
        {
            return Encoding.Latin1.GetBytes($"{RefusedProxyCommand}\r\n");
        }

        var command = MailFrom().Match(text);
        if (!command.Success)
        {
            return line;
        }

        var pathEnd = EndOfPath(text, command.Length);
        if (pathEnd < 0)
        {
            return line; // no <path>: SmtpServer refuses it before looking for parameters
        }

        var ending = text.EndsWith("\r\n", StringComparison.Ordinal) ? "\r\n" : "";
        var words = text[(pathEnd + 1)..^ending.Length].Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var changed = false;
        for (var i = 0; i < words.Length; i++)
        {
            var name = words[i].Split('=')[0];
            var replacement = !IsParameter(words[i]) ? $"{MalformedPrefix}{i}" : seen.Add(name) ? null : $"{DuplicatePrefix}{i}-{name}";
            if (replacement is not null)
            {
                words[i] = replacement;
                changed = true;
            }
        }

        return changed ? Encoding.Latin1.GetBytes($"{text[..(pathEnd + 1)]} {string.Join(' ', words)}{ending}") : line;
    }

    /// <summary>Where the reverse-path's closing '&gt;' is, skipping quoted strings (with their backslash escapes); -1 if none.</summary>
    private static int EndOfPath(string text, int from)
    {
        var quoted = false;
        for (var i = from; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case '>' when !quoted:
                    return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// esmtp-param = esmtp-keyword ["=" esmtp-value], RFC 5321 4.1.2: a keyword of letters, digits and hyphens, a
    /// value of printable ASCII other than '='. SmtpServer's tokenizer splits anything else in its own way (a non-ASCII
    /// byte inside a value starts a new parameter there), so anything else is refused rather than second-guessed.
    /// </summary>
    private static bool IsParameter(string word)
    {
        var equals = word.IndexOf('=');
        var name = equals < 0 ? word : word[..equals];
        var value = equals < 0 ? null : word[(equals + 1)..];
        return name.Length > 0
            && char.IsAsciiLetterOrDigit(name[0])
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            && (value is null || (value.Length > 0 && value.All(c => c is > ' ' and <= '~' and not '=')));
    }

    /// <summary>MAIL and FROM: with any run of blanks between, as SmtpServer skips them.</summary>
    [GeneratedRegex(@"\AMAIL[\x00-\x20]+FROM:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MailFrom();

    /// <summary>PROXY as SmtpServer's tokenizer sees it: the word, not followed by another letter.</summary>
    [GeneratedRegex(@"\APROXY(?![A-Za-z])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Proxy();
}
