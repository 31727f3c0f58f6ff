namespace SecureFallback.Core.Messages;

/// <summary>
/// The sealed (encrypted and authenticated) content of a message, kept apart from the envelope so that
/// it can be purged on its own. Deleting the row together with its wrapped key crypto-shreds the content.
/// </summary>
public sealed class MessageContent
{
    public Guid MessageId { get; set; }

    /// <summary>Version of the master key that wrapped <see cref="WrappedKey"/>.</summary>
    public int KeyVersion { get; set; }

    /// <summary>The per-message data key, encrypted under the master key.</summary>
    public byte[] WrappedKey { get; set; } = [];

    /// <summary>The message encrypted under the data key (chunked AES-256-GCM).</summary>
    public byte[] Ciphertext { get; set; } = [];
}
