using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using SecureFallback.Core.Messages;

namespace SecureFallback.Protection;

/// <summary>
/// Envelope encryption with <see cref="AesGcm"/>: a fresh 256-bit data key per message, wrapped by the current
/// master key. The content is cut into fixed-size chunks, each sealed on its own (nonce = chunk counter, which is
/// safe because the key is never reused) with the message id, chunk index and a last-chunk flag as associated data,
/// so chunks cannot be reordered, moved to another message, or cut off at a chunk boundary without detection.
/// Chunking lets <see cref="OpenRead(MessageContent)"/> stream large messages through one 64 KiB buffer.
/// </summary>
public sealed class ChunkedAesGcmProtector(MasterKeyRing keyRing) : IContentProtector
{
    internal const int ChunkSize = 64 * 1024;
    internal const int NonceSize = 12;
    internal const int TagSize = 16;
    internal const int AadSize = 25;
    private const int DataKeySize = 32;
    private const byte FormatVersion = 1;

    public MessageContent Seal(Guid messageId, ReadOnlySpan<byte> plaintext) =>
        Seal(messageId, new ReadOnlySequence<byte>(plaintext.ToArray()));

    public MessageContent Seal(Guid messageId, in ReadOnlySequence<byte> plaintext)
    {
        // Every byte is written (version, chunks, tags), so the array need not be zeroed first.
        var ciphertext = GC.AllocateUninitializedArray<byte>(checked((int)SealedLength(plaintext.Length)));
        var content = SealCore(messageId, plaintext, new ArraySink(ciphertext));
        content.Ciphertext = ciphertext;
        return content;
    }

    public MessageContent SealTo(Guid messageId, in ReadOnlySequence<byte> plaintext, Stream destination) =>
        SealCore(messageId, plaintext, new StreamSink(destination));

    public long SealedLength(long plaintextLength) => 1 + plaintextLength + (ChunkCount(plaintextLength) * TagSize);

    private static int ChunkCount(long plaintextLength) => checked((int)Math.Max(1, (plaintextLength + ChunkSize - 1) / ChunkSize));

    private MessageContent SealCore(Guid messageId, in ReadOnlySequence<byte> plaintext, SealedSink sink)
    {
        var dataKey = RandomNumberGenerator.GetBytes(DataKeySize);
        var staging = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var length = checked((int)plaintext.Length);
            var chunkCount = ChunkCount(length);
            sink.Next(1)[0] = FormatVersion;
            sink.Commit(1);

            using var aes = new AesGcm(dataKey, TagSize);
            Span<byte> nonce = stackalloc byte[NonceSize];
            Span<byte> aad = stackalloc byte[AadSize];
            for (var index = 0; index < chunkCount; index++)
            {
                var chunk = plaintext.Slice((long)index * ChunkSize, Math.Min(ChunkSize, length - (index * ChunkSize)));
                ReadOnlySpan<byte> input = chunk.IsSingleSegment ? chunk.FirstSpan : CopyTo(chunk, staging);
                WriteChunkParameters(messageId, index, index == chunkCount - 1, nonce, aad);
                var output = sink.Next(input.Length + TagSize);
                aes.Encrypt(nonce, input, output[..input.Length], output.Slice(input.Length, TagSize), aad);
                sink.Commit(input.Length + TagSize);
            }

            var (version, masterKey) = CurrentMasterKey();
            return new MessageContent
            {
                MessageId = messageId,
                KeyVersion = version,
                WrappedKey = WrapKey(masterKey, version, messageId, dataKey),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
            CryptographicOperations.ZeroMemory(staging.AsSpan(0, ChunkSize));
            ArrayPool<byte>.Shared.Return(staging);
            sink.Dispose();
        }
    }

    /// <summary>Where sealed bytes go: straight into one array, or through one chunk buffer into a stream.</summary>
    private abstract class SealedSink : IDisposable
    {
        /// <summary>Space for the next <paramref name="size"/> sealed bytes.</summary>
        public abstract Span<byte> Next(int size);

        /// <summary>The <paramref name="size"/> bytes from <see cref="Next"/> are written.</summary>
        public abstract void Commit(int size);

        public virtual void Dispose()
        {
        }
    }

    private sealed class ArraySink(byte[] target) : SealedSink
    {
        private int _written;

        public override Span<byte> Next(int size) => target.AsSpan(_written, size);

        public override void Commit(int size) => _written += size;
    }

    private sealed class StreamSink(Stream destination) : SealedSink
    {
        private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(ChunkSize + TagSize);

        public override Span<byte> Next(int size) => _buffer.AsSpan(0, size);

        public override void Commit(int size) => destination.Write(_buffer, 0, size);

        public override void Dispose() => ArrayPool<byte>.Shared.Return(_buffer); // ciphertext only: no need to clear
    }

    private static ReadOnlySpan<byte> CopyTo(in ReadOnlySequence<byte> chunk, byte[] staging)
    {
        chunk.CopyTo(staging);
        return staging.AsSpan(0, (int)chunk.Length);
    }

    public Stream OpenRead(MessageContent content)
    {
        var sealedBytes = content.Ciphertext;
        if (sealedBytes.Length < 1 + TagSize || sealedBytes[0] != FormatVersion)
        {
            throw new ContentTamperedException("Sealed content has an unknown format or is truncated.");
        }

        return Decrypting(content, new SealedBody.InMemory(sealedBytes.AsMemory(1)));
    }

    public Stream OpenRead(MessageContent keys, Stream sealedBody)
    {
        try
        {
            Span<byte> version = stackalloc byte[1];
            if (sealedBody.Length < 1 + TagSize || sealedBody.Read(version) != 1 || version[0] != FormatVersion)
            {
                throw new ContentTamperedException("Sealed content has an unknown format or is truncated.");
            }

            return Decrypting(keys, new SealedBody.InStream(sealedBody, offset: 1));
        }
        catch
        {
            sealedBody.Dispose();
            throw;
        }
    }

    private DecryptingStream Decrypting(MessageContent keys, SealedBody body)
    {
        if (!keyRing.TryGetKey(keys.KeyVersion, out var masterKey))
        {
            throw new ContentTamperedException($"Master key version {keys.KeyVersion} is not in the key ring.");
        }

        var dataKey = UnwrapKey(masterKey, keys.KeyVersion, keys.MessageId, keys.WrappedKey);
        try
        {
            return new DecryptingStream(body, keys.MessageId, dataKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey); // AesGcm keeps its own copy of the key schedule
        }
    }

    public byte[] Open(MessageContent content)
    {
        using var stream = OpenRead(content);
        var plaintext = GC.AllocateUninitializedArray<byte>(checked((int)stream.Length)); // filled by ReadExactly
        try
        {
            stream.ReadExactly(plaintext);
            _ = stream.Read(stackalloc byte[1]); // reading at the end verifies the last-chunk seal
            return plaintext;
        }
        catch (ContentTamperedException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw;
        }
    }

    /// <summary>
    /// Re-wraps a message's data key under the current master key (key rotation). Only the 60-byte wrapped key
    /// changes; the body is neither read nor rewritten.
    /// </summary>
    /// <returns>The new version and wrapped key, or null when it is already wrapped by the current version.</returns>
    /// <exception cref="ContentTamperedException">The old version is missing or does not open the wrapped key.</exception>
    public (int KeyVersion, byte[] WrappedKey)? Rewrap(Guid messageId, int keyVersion, byte[] wrappedKey)
    {
        var (version, masterKey) = CurrentMasterKey();
        if (keyVersion == version)
        {
            return null;
        }

        var dataKey = UnwrapWith(keyVersion, messageId, wrappedKey);
        try
        {
            return (version, WrapKey(masterKey, version, messageId, dataKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Whether the ring opens this wrapped data key: the start-up check that the key files belong to the data.</summary>
    public bool CanUnwrap(Guid messageId, int keyVersion, byte[] wrappedKey)
    {
        try
        {
            CryptographicOperations.ZeroMemory(UnwrapWith(keyVersion, messageId, wrappedKey));
            return true;
        }
        catch (ContentTamperedException)
        {
            return false;
        }
    }

    private byte[] UnwrapWith(int keyVersion, Guid messageId, byte[] wrappedKey) =>
        keyRing.TryGetKey(keyVersion, out var masterKey)
            ? UnwrapKey(masterKey, keyVersion, messageId, wrappedKey)
            : throw new ContentTamperedException($"Master key version {keyVersion} is not in the key ring.");

    private (int Version, byte[] Key) CurrentMasterKey() => keyRing.GetCurrent();

    internal static void WriteChunkParameters(Guid messageId, int index, bool isLast, Span<byte> nonce, Span<byte> aad)
    {
        nonce.Clear();
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
        messageId.TryWriteBytes(aad[..16]);
        BinaryPrimitives.WriteInt64BigEndian(aad.Slice(16, 8), index);
        aad[24] = isLast ? (byte)1 : (byte)0;
    }

    private static byte[] WrapKey(byte[] masterKey, int version, Guid messageId, byte[] dataKey)
    {
        var wrapped = new byte[NonceSize + DataKeySize + TagSize];
        RandomNumberGenerator.Fill(wrapped.AsSpan(0, NonceSize));
        using var aes = new AesGcm(masterKey, TagSize);
        aes.Encrypt(
            wrapped.AsSpan(0, NonceSize),
            dataKey,
            wrapped.AsSpan(NonceSize, DataKeySize),
            wrapped.AsSpan(NonceSize + DataKeySize, TagSize),
            KeyWrapAad(version, messageId));
        return wrapped;
    }

    private static byte[] UnwrapKey(byte[] masterKey, int version, Guid messageId, byte[] wrapped)
    {
        if (wrapped.Length != NonceSize + DataKeySize + TagSize)
        {
            throw new ContentTamperedException("Wrapped data key has the wrong length.");
        }

        var dataKey = new byte[DataKeySize];
        try
        {
            using var aes = new AesGcm(masterKey, TagSize);
            aes.Decrypt(
                wrapped.AsSpan(0, NonceSize),
                wrapped.AsSpan(NonceSize, DataKeySize),
                wrapped.AsSpan(NonceSize + DataKeySize, TagSize),
                dataKey,
                KeyWrapAad(version, messageId));
            return dataKey;
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new ContentTamperedException($"Data key of message {messageId} failed authentication (wrong master key or tampered).", ex);
        }
    }

    private static byte[] KeyWrapAad(int version, Guid messageId)
    {
        var aad = new byte[4 + 16];
        BinaryPrimitives.WriteInt32BigEndian(aad, version);
        messageId.TryWriteBytes(aad.AsSpan(4));
        return aad;
    }
}
