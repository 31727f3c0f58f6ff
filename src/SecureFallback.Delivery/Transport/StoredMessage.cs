using MimeKit;
using SecureFallback.Core.Messages;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// Loads a queued message so that it goes out exactly as it was stored (a relay changes nothing but the trace
/// fields, RFC 5321 3.7.4), without parsing its MIME structure: the header fields are parsed (for the policy rules and
/// TLS-Required) and written back byte for byte, which is checked here, and the body is sent verbatim
/// (<see cref="StoredBody"/>). Only content that no next hop could need changed goes this way: 7-bit, CRLF line ends
/// only, no line over 998 octets (RFC 5321 4.5.3.1.6), so MailKit's preparation (8BITMIME, BINARYMIME, re-encoding of
/// long lines) has nothing to do. Other content, and content larger than <see cref="MostBytes"/> (not held in
/// memory), is parsed as MIME as before.
/// </summary>
internal static class StoredMessage
{
    /// <summary>Content up to this size is read into memory whole and sent from there.</summary>
    internal const int MostBytes = 256 * 1024;

    /// <summary>The longest line, without its CRLF, that needs no re-encoding.</summary>
    private const int MaxLineLength = 998;

    private static readonly FormatOptions Wire = new() { NewLineFormat = NewLineFormat.Dos };

    /// <summary>
    /// Reads <paramref name="stream"/> (the decrypting stream: every chunk is verified before a byte goes out) into a
    /// message that writes the stored bytes, or parses it as MIME when it cannot go as stored.
    /// </summary>
    /// <exception cref="FormatException">The content cannot be parsed as MIME.</exception>
    public static async Task<MimeMessage> LoadAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (!stream.CanSeek || stream.Length - stream.Position > MostBytes)
        {
            // Persistent parsing keeps parts as views on the decrypting stream instead of copies; loading reads the
            // stream to its end, so every chunk is verified before a byte goes out.
            return await MimeMessage.LoadAsync(ParserOptions.Default, stream, persistent: true, cancellationToken);
        }

        var content = new byte[stream.Length - stream.Position];
        await stream.ReadExactlyAsync(content, cancellationToken);
        // The read that finds the end is the one that verifies the last chunk is the last: content cut at a chunk
        // boundary has only whole, genuine chunks before the cut, and is refused only here.
        if (await stream.ReadAsync(new byte[1], cancellationToken) != 0)
        {
            throw new ContentTamperedException("The content is longer than its stream says.");
        }

        return TryAsStored(content)
            ?? await MimeMessage.LoadAsync(ParserOptions.Default, new MemoryStream(content, writable: false), persistent: true, cancellationToken);
    }

    /// <summary>The message that sends <paramref name="content"/> as it is, or null when it cannot go as stored.</summary>
    internal static MimeMessage? TryAsStored(byte[] content)
    {
        var bodyStart = SendableBodyStart(content);
        if (bodyStart < 0)
        {
            return null;
        }

        HeaderList headers;
        try
        {
            headers = HeaderList.Load(ParserOptions.Default, new MemoryStream(content, 0, bodyStart, writable: false));
        }
        catch (FormatException)
        {
            return null; // the MIME parser, more lenient with a whole message, decides
        }

        var message = new MimeMessage(headers) { Body = new StoredBody(content, bodyStart) };
        // MimeKit writes a parsed field back as it was read; should one ever differ, the MIME path takes it.
        using var written = new MemoryStream(bodyStart);
        message.WriteTo(Wire, written, headersOnly: true);
        if (!written.GetBuffer().AsSpan(0, (int)written.Length).SequenceEqual(content.AsSpan(0, bodyStart)))
        {
            message.Dispose();
            return null;
        }

        return message;
    }

    /// <summary>
    /// Where the body starts (after the empty line that ends the header fields), when the content is 7-bit, has
    /// only CRLF line ends (the last line may lack one: SMTP keeps it with the final dot) and no line longer than
    /// 998 octets; otherwise -1.
    /// </summary>
    internal static int SendableBodyStart(ReadOnlySpan<byte> content)
    {
        if (content.IndexOfAnyExceptInRange((byte)1, (byte)127) >= 0)
        {
            return -1; // 8-bit or NUL: MIME decides (8BITMIME, BINARYMIME, re-encoding)
        }

        var bodyStart = -1;
        var offset = 0;
        while (offset < content.Length)
        {
            var rest = content[offset..];
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            if (end >= 0 && (line.Length == 0 || line[^1] != (byte)'\r'))
            {
                return -1; // a bare LF
            }

            var text = end < 0 ? line : line[..^1];
            if (text.Length > MaxLineLength || text.Contains((byte)'\r'))
            {
                return -1; // a long line or a bare CR
            }

            if (text.Length == 0 && bodyStart < 0 && end >= 0)
            {
                if (offset == 0)
                {
                    return -1; // no header fields at all
                }

                bodyStart = offset + line.Length + 1;
            }

            offset += end < 0 ? line.Length : end + 1;
        }

        return bodyStart;
    }
}
