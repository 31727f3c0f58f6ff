using System.Buffers;
using System.Security.Cryptography;
using SecureFallback.Core.Messages;

namespace SecureFallback.Protection;

/// <summary>
/// Read-only, seekable plaintext view of sealed content. It decrypts one 64 KiB chunk at a time into a pooled buffer
/// and verifies each chunk's tag before handing out any of its bytes, so a 25 MB message is read (and parsed by
/// MimeKit in persistent mode) without a plaintext copy of itself in memory. A chunk that does not authenticate
/// throws <see cref="ContentTamperedException"/> from <see cref="Read(Span{byte})"/>.
/// </summary>
internal sealed class DecryptingStream : Stream
{
    private readonly SealedBody _body;
    private readonly Guid _messageId;
    private readonly AesGcm _aes;
    private readonly int _chunkCount;
    private readonly long _length;
    private byte[]? _chunk;
    private int _chunkIndex = -1;
    private int _chunkLength;
    private long _position;

    public DecryptingStream(SealedBody body, Guid messageId, byte[] dataKey)
    {
        _body = body;
        _messageId = messageId;
        _chunkCount = checked((int)Math.Max(1, (body.Length + ChunkedAesGcmProtector.ChunkSize + ChunkedAesGcmProtector.TagSize - 1) / (ChunkedAesGcmProtector.ChunkSize + ChunkedAesGcmProtector.TagSize)));
        _length = body.Length - ((long)_chunkCount * ChunkedAesGcmProtector.TagSize);
        if (_length - ((long)(_chunkCount - 1) * ChunkedAesGcmProtector.ChunkSize) < 0)
        {
            throw new ContentTamperedException("Sealed content is truncated.");
        }

        _aes = new AesGcm(dataKey, ChunkedAesGcmProtector.TagSize);
        _chunk = ArrayPool<byte>.Shared.Rent(ChunkedAesGcmProtector.ChunkSize);
    }

    public override bool CanRead => _chunk is not null;

    public override bool CanSeek => _chunk is not null;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_chunk is null, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_position >= _length)
        {
            // End of stream only counts once the last chunk (the one sealed with the last-chunk flag) verified:
            // otherwise content cut at a chunk boundary, plus a forged empty chunk, would read as complete.
            LoadChunk(_chunkCount - 1);
            return 0;
        }

        var index = (int)(_position / ChunkedAesGcmProtector.ChunkSize);
        LoadChunk(index);
        var offset = (int)(_position - ((long)index * ChunkedAesGcmProtector.ChunkSize));
        var count = Math.Min(buffer.Length, _chunkLength - offset);
        _chunk.AsSpan(offset, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span)); // decryption is CPU work on memory: nothing to wait for

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    private void LoadChunk(int index)
    {
        if (index == _chunkIndex)
        {
            return;
        }

        const int stride = ChunkedAesGcmProtector.ChunkSize + ChunkedAesGcmProtector.TagSize;
        var start = (long)index * stride;
        var length = (int)Math.Min(ChunkedAesGcmProtector.ChunkSize, _length - ((long)index * ChunkedAesGcmProtector.ChunkSize));
        Span<byte> nonce = stackalloc byte[ChunkedAesGcmProtector.NonceSize];
        Span<byte> aad = stackalloc byte[ChunkedAesGcmProtector.AadSize];
        ChunkedAesGcmProtector.WriteChunkParameters(_messageId, index, index == _chunkCount - 1, nonce, aad);
        var sealedChunk = _body.Read(start, length + ChunkedAesGcmProtector.TagSize);
        try
        {
            _chunkIndex = -1;
            _aes.Decrypt(nonce, sealedChunk[..length], sealedChunk[length..], _chunk.AsSpan(0, length), aad);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            CryptographicOperations.ZeroMemory(_chunk);
            throw new ContentTamperedException($"Chunk {index} of message {_messageId} failed authentication.", ex);
        }

        (_chunkIndex, _chunkLength) = (index, length);
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _chunk is not null)
        {
            CryptographicOperations.ZeroMemory(_chunk);
            ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = null;
            _aes.Dispose();
            _body.Dispose();
        }

        base.Dispose(disposing);
    }
}
