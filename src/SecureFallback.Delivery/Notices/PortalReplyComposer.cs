using System.Text;
using MimeKit;
using MimeKit.Utils;
using SecureFallback.Core;
using SecureFallback.Core.Pickup;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// Builds a reply written on the portal so it arrives as a normal reply that passes the sender organisation's DMARC
/// checks (as mailing lists do): From is the portal's own address naming the recipient, Reply-To the recipient,
/// In-Reply-To/References thread it on the original, and the recipient's text stands above the quoted original.
/// Pure: no I/O, no clock.
/// </summary>
internal static class PortalReplyComposer
{
    /// <summary>The reply to <paramref name="original"/>.</summary>
    /// <param name="original">The held message answered.</param>
    /// <param name="draft">What the recipient wrote and attached.</param>
    /// <param name="portal">The notices' From address (its domain signs with DKIM).</param>
    /// <param name="now">The reply's Date.</param>
    /// <param name="words">The language of the original sender's domain (the display name and the quote line); English when not given.</param>
    public static MimeMessage Compose(MimeMessage original, PortalReplyDraft draft, MailboxAddress portal, DateTimeOffset now, MailWords? words = null)
    {
        words ??= MailLanguage.Default.Words;
        var (to, cc) = Recipients(original, draft.Author, draft.Mode);
        var reply = new MimeMessage();
        reply.From.Add(new MailboxAddress(words.Format("Reply.Via", draft.Author), portal.Address));
        reply.ReplyTo.Add(MailboxAddress.Parse(draft.Author));
        reply.To.AddRange(to);
        reply.Cc.AddRange(cc);
        reply.Subject = SubjectOf(original.Subject);
        reply.Date = now;
        reply.MessageId = MimeUtils.GenerateMessageId(portal.Domain);
        if (!string.IsNullOrEmpty(original.MessageId))
        {
            reply.InReplyTo = original.MessageId;
            foreach (var reference in original.References)
            {
                reply.References.Add(reference);
            }

            reply.References.Add(original.MessageId);
        }

        var body = new BodyBuilder { TextBody = TextOf(original, draft.Text, words) };
        foreach (var file in draft.Attachments)
        {
            var type = ContentType.TryParse(file.ContentType ?? "", out var parsed) ? parsed : new ContentType("application", "octet-stream");
            body.Attachments.Add(SafeFileName(file.FileName), file.Content.ToArray(), type);
        }

        reply.Body = body.ToMessageBody();
        return reply;
    }

    /// <summary>
    /// Who the reply goes to: the original sender (its From), and with <see cref="PortalReplyMode.SenderAndRecipients"/>
    /// also, as Cc, the original To/Cc addresses in the sender's own domain; never the author, never one twice.
    /// </summary>
    public static (List<MailboxAddress> To, List<MailboxAddress> Cc) Recipients(MimeMessage original, string author, PortalReplyMode mode)
    {
        var sender = original.From.Mailboxes.FirstOrDefault();
        if (sender is null || mode == PortalReplyMode.Off)
        {
            return ([], []);
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { author, sender.Address };
        var to = new List<MailboxAddress> { new(sender.Name, sender.Address) };
        var cc = mode == PortalReplyMode.SenderAndRecipients
            ? original.To.Mailboxes.Concat(original.Cc.Mailboxes)
                .Where(m => string.Equals(m.Domain, sender.Domain, StringComparison.OrdinalIgnoreCase) && seen.Add(m.Address))
                .Select(m => new MailboxAddress(m.Name, m.Address))
                .ToList()
            : [];
        return (to, cc);
    }

    /// <summary>"Re: " before the original subject, unless it already starts with one.</summary>
    public static string SubjectOf(string? subject)
    {
        var trimmed = subject?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            return "Re: (no subject)";
        }

        return trimmed.StartsWith("re:", StringComparison.OrdinalIgnoreCase) ? trimmed : $"Re: {trimmed}";
    }

    private static string TextOf(MimeMessage original, string text, MailWords words)
    {
        var builder = new StringBuilder(text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd()).Append("\n\n");
        var author = original.From.Mailboxes.FirstOrDefault()?.Address ?? words["Reply.TheSender"];
        builder.Append(original.Date == default ? words.Format("Reply.WroteUndated", author) : words.Format("Reply.Wrote", words.When(original.Date), author)).Append('\n');
        var quoted = original.TextBody ?? "";
        foreach (var line in quoted.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd().Split('\n'))
        {
            builder.Append(line.Length == 0 ? ">" : "> " + line).Append('\n');
        }

        return builder.ToString();
    }

    private static string SafeFileName(string name)
    {
        var file = Path.GetFileName(name.Replace('\\', '/'));
        return string.IsNullOrWhiteSpace(file) ? "attachment" : file;
    }
}
