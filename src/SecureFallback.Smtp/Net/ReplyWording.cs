using System.Text;
using System.Text.RegularExpressions;

namespace SecureFallback.Smtp.Net;

/// <summary>
/// Puts SmtpServer's own reply texts into ours. SmtpServer appends ", N retry(ies) remaining." to every reply it
/// builds from an exception (our 454, 550 and 5.x.x refusals among them, see its <c>SmtpSession.CreateErrorResponse</c>),
/// answers a wrong password with "authentication failed, N attempt(s) remaining." and an unknown command with
/// "Unrecognized command"; none of that can be changed through its API, so replies are reworded on their way out.
/// </summary>
internal static partial class ReplyWording
{
    /// <summary>The rewritten replies, or null when <paramref name="replies"/> holds nothing to reword (the usual case).</summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> replies)
    {
        if (replies.IndexOf(" remaining."u8) < 0 && replies.IndexOf("Unrecognized command"u8) < 0)
        {
            return null;
        }

        var text = Encoding.Latin1.GetString(replies);
        var reworded = AuthenticationFailed().Replace(text, "${1}5.7.8 Authentication credentials invalid\r\n");
        reworded = Unrecognized().Replace(reworded, "${1}5.5.2 Command not recognized\r\n");
        reworded = RetriesRemaining().Replace(reworded, "\r\n");
        return reworded == text ? null : Encoding.Latin1.GetBytes(reworded);
    }

    [GeneratedRegex(@"^(535[ -])authentication failed, -?\d+ attempt\(s\) remaining\.\r\n", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex AuthenticationFailed();

    [GeneratedRegex(@"^(50[02][ -])Unrecognized command(, -?\d+ retry\(ies\) remaining\.)?\r\n", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@", -?\d+ retry\(ies\) remaining\.\r\n", RegexOptions.CultureInvariant)]
    private static partial Regex RetriesRemaining();
}
