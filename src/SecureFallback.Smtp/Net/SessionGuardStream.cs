using System.Text;

namespace SecureFallback.Smtp.Net;

/// <summary>
/// Sits between the socket (or TLS stream) and SmtpServer, and guards what SmtpServer leaves open:
/// <list type="bullet">
/// <item>Commands reach SmtpServer as whole lines, each passed through <see cref="CommandLineRewriter"/> (which
/// defuses input that would fault SmtpServer's parser). A line may not grow past
/// <see cref="SessionLimits.MaxCommandLineBytes"/>: the client gets <c>500 5.5.2</c> and the connection is closed.</item>
/// <item>Timeouts end with <c>421 4.4.2</c> (SmtpServer says <c>221</c>, as if all were well, and does not time
/// out DATA at all): a whole command line must arrive within <see cref="SessionLimits.IdleTimeout"/> of our last
/// reply, so trickling one byte at a time does not keep a session; during DATA each read must bring bytes within
/// the same time.</item>
/// <item>Replies leave in our own words (<see cref="ReplyWording"/>), without SmtpServer's "N retry(ies) remaining".</item>
/// <item>SmtpServer ends DATA only at <c>CRLF.CRLF</c>, so a DATA whose body is empty (<c>.CRLF</c> right after
/// the 354) would never end. When the first bytes after the 354 are exactly the terminator, this stream supplies
/// the CRLF the terminator needs, so the empty message reaches the store and gets a clear answer.</item>
/// </list>
/// DATA itself streams straight through; only its end (<c>CRLF.CRLF</c>) is watched, to know when commands resume.
/// </summary>
internal sealed class SessionGuardStream(Stream inner, SessionLimits limits, TimeProvider timeProvider) : Stream
{
    private static readonly byte[] StartMailInput = "354 "u8.ToArray();
    private static readonly byte[] Terminator = ".\r\n"u8.ToArray();
    private const ulong EndOfData = 0x0D_0A_2E_0D_0A;

    private readonly List<byte> _partialLine = [];
    private readonly byte[] _incoming = new byte[4096];
    private byte[] _ready = [];
    private int _readyOffset;
    private volatile bool _dataStarting;
    private volatile bool _inData;
    private ulong _lastFive; // the last five bytes read in DATA, to spot CRLF.CRLF across reads
    private long _lastReplyAt = timeProvider.GetTimestamp();

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_inData && _partialLine.Count > 0)
            {
                // Bytes a client sent right behind DATA without waiting for the 354 are message data after all.
                Enqueue([.. _partialLine]);
                _partialLine.Clear();
            }

            if (_readyOffset < _ready.Length)
            {
                if (_inData && _dataStarting)
                {
                    _dataStarting = false;
                    if (_ready.AsSpan(_readyOffset).StartsWith(Terminator))
                    {
                        _ready = [.. "\r\n"u8, .. _ready.AsSpan(_readyOffset)];
                        _readyOffset = 0;
                    }
                }

                var available = _ready.AsSpan(_readyOffset, Math.Min(buffer.Length, _ready.Length - _readyOffset));
                var count = _inData ? DataLengthUpToTerminator(available) : available.Length;
                available[..count].CopyTo(buffer.Span);
                _readyOffset += count;
                return count;
            }

            if (_inData)
            {
                // The hot path for message data: straight into SmtpServer's buffer, only watched for its end.
                var read = await ReadWithTimeoutAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return 0;
                }

                var chunk = buffer.Span[..read];
                if (_dataStarting)
                {
                    _dataStarting = false;
                    if (chunk.StartsWith(Terminator))
                    {
                        Enqueue([.. "\r\n"u8, .. chunk]);
                        continue;
                    }
                }

                var data = DataLengthUpToTerminator(chunk);
                if (data < read)
                {
                    // Commands pipelined behind the terminator go through the command path like any others.
                    await TakeCommandBytesAsync(buffer[data..read], cancellationToken);
                }

                return data;
            }

            var received = await ReadWithTimeoutAsync(_incoming, cancellationToken);
            if (received == 0)
            {
                // The client hung up mid-line: hand over what there is, then the end of the stream.
                if (_partialLine.Count == 0)
                {
                    return 0;
                }

                Enqueue(CommandLineRewriter.Rewrite([.. _partialLine]));
                _partialLine.Clear();
                continue;
            }

            await TakeCommandBytesAsync(_incoming.AsMemory(0, received), cancellationToken);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _lastReplyAt = timeProvider.GetTimestamp();
        if (buffer.Span.StartsWith(StartMailInput) || buffer.Span.IndexOf("\n354 "u8) >= 0)
        {
            _dataStarting = true;
            _inData = true;
            _lastFive = 0x0D_0A; // DATA starts at the beginning of a line
        }

        await inner.WriteAsync(ReplyWording.Rewrite(buffer.Span) ?? buffer, cancellationToken);
    }

    /// <summary>Collects command lines; complete ones are rewritten and queued for SmtpServer.</summary>
    private async ValueTask TakeCommandBytesAsync(ReadOnlyMemory<byte> received, CancellationToken cancellationToken)
    {
        var start = 0;
        var span = received.Span;
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i] != (byte)'\n')
            {
                continue;
            }

            // SmtpServer reads a command up to CRLF; a bare LF is inside the line, as SmtpServer sees it.
            var crBefore = i > start ? span[i - 1] == (byte)'\r' : _partialLine.Count > 0 && _partialLine[^1] == (byte)'\r';
            if (!crBefore)
            {
                continue;
            }

            _partialLine.AddRange(span[start..(i + 1)]);
            if (_partialLine.Count > limits.MaxCommandLineBytes + 2)
            {
                break; // refused below, like a line that never ends
            }

            Enqueue(CommandLineRewriter.Rewrite([.. _partialLine]));
            _partialLine.Clear();
            start = i + 1;
        }

        if (start < span.Length && _partialLine.Count <= limits.MaxCommandLineBytes + 2)
        {
            _partialLine.AddRange(span[start..]);
        }

        if (_partialLine.Count > limits.MaxCommandLineBytes)
        {
            await CloseWithAsync($"500 5.5.2 Line too long: commands are limited to {limits.MaxCommandLineBytes} octets", cancellationToken);
            throw new IOException("The client sent a command line over the limit.");
        }
    }

    private void Enqueue(ReadOnlySpan<byte> bytes)
    {
        _ready = [.. _ready.AsSpan(_readyOffset), .. bytes];
        _readyOffset = 0;
    }

    /// <summary>How much of <paramref name="data"/> is message data: all of it, or up to and including CRLF.CRLF.</summary>
    private int DataLengthUpToTerminator(ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            _lastFive = ((_lastFive << 8) | data[i]) & 0xFF_FFFF_FFFF;
            if (_lastFive == EndOfData)
            {
                _inData = false;
                return i + 1;
            }
        }

        return data.Length;
    }

    private async ValueTask<int> ReadWithTimeoutAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var inData = _inData;
        var allowed = inData ? limits.IdleTimeout : limits.IdleTimeout - timeProvider.GetElapsedTime(_lastReplyAt);
        using var timeout = new CancellationTokenSource(allowed > TimeSpan.Zero ? allowed : TimeSpan.FromMilliseconds(1), timeProvider);
        // Linked to the caller's token as CreateLinkedTokenSource would link it (that one cannot take a TimeProvider).
        using var linked = cancellationToken.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), timeout);
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
}
