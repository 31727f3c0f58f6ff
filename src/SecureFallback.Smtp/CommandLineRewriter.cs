using System.Text;

namespace SecureFallback.Smtp;

/// <summary>
/// Defuses command lines that fault SmtpServer's parser instead of getting a reply. SmtpServer adds MAIL parameters
/// to a dictionary, so <c>MAIL FROM:&lt;a@b&gt; SIZE=1 SIZE=2</c> throws and the session drops without an answer
/// (found by the fuzz tests). Each repeated parameter is renamed <c>DUPLICATE-n-NAME</c>, which parses, and
/// <see cref="CommandLimits"/> answers it with <c>501 5.5.4</c> (RFC 5321 4.1.2: a parameter appears once).
/// </summary>
internal static class CommandLineRewriter
{
    public const string DuplicatePrefix = "DUPLICATE-";

    public static byte[] Rewrite(byte[] line)
    {
        if (line.Length < 10 || !Ascii.EqualsIgnoreCase(line.AsSpan(0, 10), "MAIL FROM:"u8))
        {
            return line;
        }

        var text = Encoding.Latin1.GetString(line);
        var words = text.Split(' ');
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var changed = false;
        for (var i = 1; i < words.Length; i++)
        {
            var name = words[i].Split('=')[0].TrimEnd('\r', '\n');
            if (name.Length == 0 || seen.Add(name))
            {
                continue;
            }

            words[i] = $"{DuplicatePrefix}{i}-{words[i]}";
            changed = true;
        }

        return changed ? Encoding.Latin1.GetBytes(string.Join(' ', words)) : line;
    }
}
