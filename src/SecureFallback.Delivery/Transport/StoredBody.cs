using MimeKit;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// The body of a <see cref="StoredMessage"/>: the stored octets after the header fields, written as they are (MailKit
/// still dot-stuffs them). It has no header fields of its own, so MimeKit adds none (no MIME-Version, no
/// Content-Type), and nothing to prepare: the content was found to need no re-encoding for any next hop.
/// </summary>
internal sealed class StoredBody : MimeEntity
{
    private static readonly byte[] NewLine = "\r\n"u8.ToArray();
    private readonly byte[] _content;
    private readonly int _start;

    public StoredBody(byte[] content, int start)
        : base(new ContentType("application", "octet-stream"))
    {
        (_content, _start) = (content, start);
        Headers.Clear(); // the header fields are the message's, written before this body
    }

    /// <summary>The octets written: the stored body and, when its last line lacks one, the CRLF SMTP needs before the final dot.</summary>
    public long Length => _content.Length - _start + (EndsWithNewLine ? 0 : NewLine.Length);

    private bool EndsWithNewLine => _content.Length - _start == 0 || _content.AsSpan(_start).EndsWith(NewLine);

    public override void Prepare(EncodingConstraint constraint, int maxLineLength = 78)
    {
        // Nothing to re-encode: StoredMessage only makes this body of 7-bit lines of at most 998 octets.
    }

    public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        stream.Write(_content, _start, _content.Length - _start);
        if (!EndsWithNewLine)
        {
            stream.Write(NewLine);
        }
    }

    public override async Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        await stream.WriteAsync(_content.AsMemory(_start), cancellationToken);
        if (!EndsWithNewLine)
        {
            await stream.WriteAsync(NewLine, cancellationToken);
        }
    }

    protected override void OnHeadersChanged(HeaderListChangedAction action, Header? header)
    {
        // No header fields to keep in step with properties: the body carries none.
    }
}
