using System.Text;

namespace SecureFallback.Smtp;

/// <summary>
/// Defuses command lines that fault SmtpServer's parser instead of getting a reply. SmtpServer adds MAIL parameters
/// to a dictionary keyed by a normalised name, so a repeated name (<c>SIZE=1 SIZE=2</c>, or two names that differ only
/// in non-ASCII bytes) throws and the session drops without an answer (found by the fuzz tests). Here every
/// parameter whose name is not an RFC 5321 esmtp-keyword becomes <c>MALFORMED-n</c>, and every repeat becomes
/// <c>DUPLICATE-n-NAME</c>; both parse, and <see cref="CommandLimits"/> answers them with <c>501 5.5.4</c>.
/// </summary>
internal static class CommandLineRewriter
{
    public const string DuplicatePrefix = "DUPLICATE-";
    public const string MalformedPrefix = "MALFORMED-";

    public static byte[] Rewrite(byte[] line)
    {
        if (line.Length < 10 || !Ascii.EqualsIgnoreCase(line.AsSpan(0, 10), "MAIL FROM:"u8))
        {
            return line;
        }

        var text = Encoding.Latin1.GetString(line);
        var pathEnd = text.IndexOf('>', StringComparison.Ordinal);
        if (pathEnd < 0)
        {
            return line; // no <path>: SmtpServer refuses it before looking for parameters
        }

        var ending = text.EndsWith("\r\n", StringComparison.Ordinal) ? "\r\n" : text.EndsWith('\n') ? "\n" : "";
        var words = text[(pathEnd + 1)..^ending.Length].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var changed = false;
        for (var i = 0; i < words.Length; i++)
        {
            var name = words[i].Split('=')[0];
            var replacement = !IsKeyword(name) ? $"{MalformedPrefix}{i}" : seen.Add(name) ? null : $"{DuplicatePrefix}{i}-{name}";
            if (replacement is not null)
            {
                words[i] = replacement;
                changed = true;
            }
        }

        return changed ? Encoding.Latin1.GetBytes($"{text[..(pathEnd + 1)]} {string.Join(' ', words)}{ending}") : line;
    }

    /// <summary>esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"), RFC 5321 4.1.2.</summary>
    private static bool IsKeyword(string name) =>
        name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
