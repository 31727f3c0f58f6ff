using System.Text;

namespace SecureFallback.Smtp.Net;

/// <summary>
/// Sits between the socket (or TLS stream) and SmtpServer, and guards what SmtpServer leaves open:
/// <list type="bullet">
/// <item>A command line may not grow without end: past <see cref="SessionLimits.MaxCommandLineBytes"/> without
/// a line feed the client gets <c>500 5.5.2</c> and the connection is closed (SmtpServer would buffer it all).</item>
/// <item>Timeouts end with <c>421 4.4.2</c> (SmtpServer says <c>221</c>, as if all were well, and does not time
/// out DATA at all): a whole command line must arrive within <see cref="SessionLimits.IdleTimeout"/> of our last
/// reply, so trickling one byte at a time does not keep a session; during DATA each read must bring bytes within
/// the same time.</item>
/// <item>SmtpServer ends DATA only at <c>CRLF.CRLF</c>, so a DATA whose body is empty (<c>.CRLF</c> right after
/// the 354) would never end. When the first bytes after the 354 are exactly the terminator, this stream supplies
/// the CRLF the terminator needs, so the empty message reaches the store and gets a clear answer.</item>
/// </list>
/// </summary>
internal sealed class SessionGuardStream(Stream inner, SessionLimits limits) : Stream
{
    private static readonly byte[] StartMailInput = "354 "u8.ToArray();
    private static readonly byte[] Terminator = ".\r\n"u8.ToArray();

    private byte[] _pending = [];
    private int _pendingOffset;
    private volatile bool _dataStarting;
    private volatile bool _inData;
    private int _commandLineBytes;
    private long _lastReplyAt = TimeProvider.System.GetTimestamp();
    private ulong _lastFive; // the last five bytes read in DATA, to spot CRLF.CRLF across reads
    private const ulong EndOfData = 0x0D_0A_2E_0D_0A;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_pendingOffset < _pending.Length)
        {
            return Track(buffer.Span[..TakePending(buffer.Span)]);
        }

        var read = await ReadWithTimeoutAsync(buffer, cancellationToken);
        if (!_dataStarting || read == 0)
        {
            return await CheckedAsync(buffer[..read], cancellationToken);
        }

        _dataStarting = false;
        if (read < Terminator.Length || !buffer.Span[..Terminator.Length].SequenceEqual(Terminator))
        {
            return await CheckedAsync(buffer[..read], cancellationToken);
        }

        _pending = [.. "\r\n"u8, .. buffer.Span[..read]];
        _pendingOffset = 0;
        return Track(buffer.Span[..TakePending(buffer.Span)]);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _lastReplyAt = TimeProvider.System.GetTimestamp();
        if (buffer.Span.StartsWith(StartMailInput) || buffer.Span.IndexOf("\n354 "u8) >= 0)
        {
            _dataStarting = true;
            _inData = true;
            _lastFive = 0x0D_0A; // DATA starts at the beginning of a line
        }

        await inner.WriteAsync(buffer, cancellationToken);
    }

    private async ValueTask<int> ReadWithTimeoutAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var inData = _inData;
        var allowed = inData ? limits.IdleTimeout : limits.IdleTimeout - TimeProvider.System.GetElapsedTime(_lastReplyAt);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(allowed > TimeSpan.Zero ? allowed : TimeSpan.FromMilliseconds(1));
        try
        {
            return await inner.ReadAsync(buffer, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await CloseWithAsync(
                inData ? "421 4.4.2 Timeout: no data received, closing connection" : "421 4.4.2 Timeout waiting for a command, closing connection",
                cancellationToken);
            throw new IOException("The client was silent (or too slow) for longer than the timeout.");
        }
    }

    private async ValueTask<int> CheckedAsync(ReadOnlyMemory<byte> read, CancellationToken cancellationToken)
    {
        Track(read.Span);
        if (_commandLineBytes > limits.MaxCommandLineBytes)
        {
            await CloseWithAsync($"500 5.5.2 Line too long: commands are limited to {limits.MaxCommandLineBytes} octets", cancellationToken);
            throw new IOException("The client sent a command line over the limit.");
        }

        return read.Length;
    }

    /// <summary>Follows where we are: counting the current command line, or watching DATA for its terminator.</summary>
    private int Track(ReadOnlySpan<byte> read)
    {
        foreach (var b in read)
        {
            if (_inData)
            {
                _lastFive = ((_lastFive << 8) | b) & 0xFF_FFFF_FFFF;
                if (_lastFive == EndOfData)
                {
                    _inData = false;
                    _commandLineBytes = 0;
                }

                continue;
            }

            _commandLineBytes = b == '\n' ? 0 : _commandLineBytes + 1;
        }

        return read.Length;
    }

    private async ValueTask CloseWithAsync(string reply, CancellationToken cancellationToken)
    {
        try
        {
            await inner.WriteAsync(Encoding.ASCII.GetBytes(reply + "\r\n"), cancellationToken);
            await inner.FlushAsync(cancellationToken);
        }
        catch (IOException)
        {
            // The client may already be gone; closing is what matters.
        }
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
