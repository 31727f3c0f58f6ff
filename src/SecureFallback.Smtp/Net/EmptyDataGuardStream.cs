namespace SecureFallback.Smtp.Net;

/// <summary>
/// SmtpServer ends DATA only at <c>CRLF.CRLF</c>, so a DATA whose body is empty (the client sends <c>.CRLF</c>
/// right after the 354) never ends and the client waits for a reply until the session times out. This stream
/// watches for the 354 going out; if the next bytes in are exactly the terminator, it supplies the CRLF that
/// the terminator needs, so the empty message reaches the store and gets a clear answer.
/// </summary>
internal sealed class EmptyDataGuardStream(Stream inner) : Stream
{
    private static readonly byte[] StartMailInput = "354 "u8.ToArray();
    private static readonly byte[] Terminator = ".\r\n"u8.ToArray();

    private byte[] _pending = [];
    private int _pendingOffset;
    private volatile bool _dataStarting;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_pendingOffset < _pending.Length)
        {
            return TakePending(buffer.Span);
        }

        var read = await inner.ReadAsync(buffer, cancellationToken);
        if (!_dataStarting || read == 0)
        {
            return read;
        }

        _dataStarting = false;
        if (read < Terminator.Length || !buffer.Span[..Terminator.Length].SequenceEqual(Terminator))
        {
            return read;
        }

        _pending = [.. "\r\n"u8, .. buffer.Span[..read]];
        _pendingOffset = 0;
        return TakePending(buffer.Span);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Span.StartsWith(StartMailInput) || buffer.Span.IndexOf("\n354 "u8) >= 0)
        {
            _dataStarting = true;
        }

        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private int TakePending(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _pending.Length - _pendingOffset);
        _pending.AsSpan(_pendingOffset, count).CopyTo(destination);
        _pendingOffset += count;
        return count;
    }
}
