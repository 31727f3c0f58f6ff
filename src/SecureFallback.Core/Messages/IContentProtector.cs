using System.Buffers;

namespace SecureFallback.Core.Messages;

/// <summary>Seals message content for storage and opens it again. Implemented by SecureFallback.Protection.</summary>
public interface IContentProtector
{
    /// <summary>Encrypts <paramref name="plaintext"/> under a fresh data key bound to <paramref name="messageId"/>.</summary>
    /// <remarks>Reads the sequence chunk by chunk, so a large message is not first copied into one buffer.</remarks>
    MessageContent Seal(Guid messageId, in ReadOnlySequence<byte> plaintext);

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> like <see cref="Seal(Guid, in ReadOnlySequence{byte})"/>, writing the
    /// sealed bytes (<see cref="SealedLength"/> of them) to <paramref name="destination"/> one chunk at a time instead
    /// of into one array; the returned content carries the keys and an empty <see cref="MessageContent.Ciphertext"/>.
    /// </summary>
    MessageContent SealTo(Guid messageId, in ReadOnlySequence<byte> plaintext, Stream destination);

    /// <summary>How many sealed bytes a plaintext of <paramref name="plaintextLength"/> bytes becomes.</summary>
    long SealedLength(long plaintextLength);

    /// <summary>Encrypts a small plaintext held in one span.</summary>
    MessageContent Seal(Guid messageId, ReadOnlySpan<byte> plaintext) => Seal(messageId, new ReadOnlySequence<byte>(plaintext.ToArray()));

    /// <summary>
    /// A read-only, seekable plaintext stream over sealed content that decrypts and verifies one chunk at a time;
    /// dispose it when done (it holds the data key). Reading a chunk that does not authenticate throws
    /// <see cref="ContentTamperedException"/>.
    /// </summary>
    /// <exception cref="ContentTamperedException">The key or format does not authenticate.</exception>
    Stream OpenRead(MessageContent content);

    /// <summary>
    /// As <see cref="OpenRead(MessageContent)"/>, reading the sealed bytes from <paramref name="sealedBody"/> (seekable;
    /// owned and disposed by the returned stream) instead of <see cref="MessageContent.Ciphertext"/>.
    /// </summary>
    Stream OpenRead(MessageContent keys, Stream sealedBody);

    /// <summary>Decrypts sealed content into one array; for small content (use <see cref="OpenRead(MessageContent)"/> for messages).</summary>
    /// <exception cref="ContentTamperedException">The ciphertext, key or binding does not authenticate.</exception>
    byte[] Open(MessageContent content);
}

/// <summary>Sealed content failed authentication: it was changed, truncated, or belongs to another message or key.</summary>
public sealed class ContentTamperedException(string message, Exception? inner = null) : Exception(message, inner);
