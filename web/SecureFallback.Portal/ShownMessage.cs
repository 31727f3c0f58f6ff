using MimeKit;

namespace SecureFallback.Portal;

/// <summary>
/// What the message page shows of a held message: its subject, sender and date, the HTML part after HtmlSanitizer
/// (or, without one, the text part) and the attachments' names. Made from one whole, verified read of the stored copy
/// (<see cref="ShownMessageCache"/> keeps it a short while); the downloads still read the copy itself.
/// </summary>
/// <param name="Subject">The subject, or null when it has none.</param>
/// <param name="From">The From addresses as one line.</param>
/// <param name="Date">The Date header.</param>
/// <param name="CleanHtml">The HTML part after <see cref="MailHtml.Clean"/>, or null when the message has no HTML.</param>
/// <param name="TextBody">The text part, kept only when there is no HTML (then it is what the page shows).</param>
/// <param name="Attachments">The attachments' file names (<see cref="FileNameOf"/>), by index.</param>
public sealed record ShownMessage(string? Subject, string From, DateTimeOffset Date, string? CleanHtml, string? TextBody, IReadOnlyList<string> Attachments)
{
    /// <summary>
    /// What one attachment's name costs beyond its characters, in characters (2 bytes each): the string object's header
    /// and length and its list slot, about 32 bytes on 64-bit. Counted so a message of many tiny parts cannot outgrow
    /// the cache's bound.
    /// </summary>
    private const int PerAttachmentChars = 16;

    /// <summary>About how many characters this holds in memory.</summary>
    public long Chars { get; } = (Subject?.Length ?? 0) + From.Length + (CleanHtml?.Length ?? 0) + (TextBody?.Length ?? 0)
        + Attachments.Sum(a => (long)a.Length + PerAttachmentChars);

    /// <summary>What the page shows of <paramref name="message"/>, its HTML sanitized with <paramref name="mailHtml"/>.</summary>
    public static ShownMessage Of(MimeMessage message, MailHtml mailHtml)
    {
        var clean = message.HtmlBody is { } html ? mailHtml.Clean(html) : null;
        return new ShownMessage(
            message.Subject,
            message.From.ToString(),
            message.Date,
            clean,
            clean is null ? message.TextBody : null,
            [.. message.Attachments.Select((attachment, index) => FileNameOf(attachment, index))]);
    }

    /// <summary>The attachment's own name without any path, or a neutral one.</summary>
    public static string FileNameOf(MimeEntity attachment, int index)
    {
        var name = attachment is MimePart { FileName: { Length: > 0 } fileName } ? Path.GetFileName(fileName.Replace('\\', '/')) : null;
        return string.IsNullOrWhiteSpace(name) ? $"attachment-{index + 1}" : name;
    }
}
