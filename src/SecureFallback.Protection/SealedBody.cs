using System.Buffers;

namespace SecureFallback.Protection;

/// <summary>
/// The sealed chunks behind a <see cref="DecryptingStream"/>: an array loaded with the row, or a seekable stream
/// (an SQLite BLOB opened for incremental reading) from which one chunk at a time is read.
/// </summary>
internal abstract class SealedBody : IDisposable
{
    /// <summary>Sealed bytes after the format version byte.</summary>
    public abstract long Length { get; }

    /// <summary>The <paramref name="count"/> sealed bytes at <paramref name="offset"/>; valid until the next call.</summary>
    public abstract ReadOnlySpan<byte> Read(long offset, int count);

    public virtual void Dispose()
    {
    }

    internal sealed class InMemory(ReadOnlyMemory<byte> body) : SealedBody
    {
        public override long Length => body.Length;

        public override ReadOnlySpan<byte> Read(long offset, int count) => body.Span.Slice(checked((int)offset), count);
    }

    internal sealed class InStream(Stream stream, long offset) : SealedBody
    {
        private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(ChunkedAesGcmProtector.ChunkSize + ChunkedAesGcmProtector.TagSize);

        public override long Length => stream.Length - offset;

        public override ReadOnlySpan<byte> Read(long position, int count)
        {
            stream.Position = offset + position;
            try
            {
                stream.ReadExactly(_buffer, 0, count);
            }
            catch (EndOfStreamException ex)
            {
                throw new Core.Messages.ContentTamperedException("Sealed content is truncated.", ex);
            }

            return _buffer.AsSpan(0, count);
        }

        public override void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer); // ciphertext only: no need to clear
            stream.Dispose();
        }
    }
}
