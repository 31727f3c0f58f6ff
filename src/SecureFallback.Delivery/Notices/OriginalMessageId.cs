using MimeKit;
using MimeKit.Utils;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// The original message's Message-ID, which its sender wrote: a notice refers to it only when it parses as a msg-id
/// (RFC 5322 3.6.4). An empty or malformed one is left out, so it can never stop a notice from being composed.
/// </summary>
internal static class OriginalMessageId
{
    /// <summary>The msg-id (without its angle brackets), or null when the header is missing or does not parse.</summary>
    public static string? Of(HeaderList originalHeaders) =>
        originalHeaders[HeaderId.MessageId] is { } raw && MimeUtils.ParseMessageId(raw) is { Length: > 0 } id ? id : null;

    /// <summary>Sets In-Reply-To and References to the original's msg-id, when it has one that parses.</summary>
    public static void ReferTo(MimeMessage notice, HeaderList originalHeaders)
    {
        if (Of(originalHeaders) is { } id)
        {
            notice.InReplyTo = id;
            notice.References.Add(id);
        }
    }
}
