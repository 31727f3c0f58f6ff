using SecureFallback.Core.Messages;

namespace SecureFallback.Data.Content;

/// <summary>Reads a queued message's sealed content back as plaintext.</summary>
public interface ISealedContentReader
{
    /// <summary>
    /// A decrypting stream over the message's content, or null when the content is gone (purged). Every chunk is
    /// verified as it is read.
    /// </summary>
    /// <exception cref="ContentTamperedException">The key or format does not authenticate.</exception>
    Task<Stream?> OpenAsync(Guid messageId, CancellationToken cancellationToken);
}

/// <summary>Reads through the scope's context (large SQLite content through a connection of its own; see <see cref="SealedContent"/>).</summary>
internal sealed class SealedContentReader(SecureFallbackDbContext db, IContentProtector protector) : ISealedContentReader
{
    public Task<Stream?> OpenAsync(Guid messageId, CancellationToken cancellationToken) => SealedContent.OpenAsync(db, protector, messageId, cancellationToken);
}
