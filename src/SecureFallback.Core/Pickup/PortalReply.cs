namespace SecureFallback.Core.Pickup;

/// <summary>A file a recipient attached to a reply on the portal.</summary>
/// <param name="FileName">The name the browser sent (without any path).</param>
/// <param name="ContentType">The media type the browser sent, or null for application/octet-stream.</param>
/// <param name="Content">The file's bytes, kept in memory only (never in a temporary file in clear).</param>
public sealed record ReplyAttachment(string FileName, string? ContentType, ReadOnlyMemory<byte> Content);

/// <summary>A reply written on the portal by the recipient of a held message.</summary>
/// <param name="OriginalMessageId">The held message answered.</param>
/// <param name="Author">The signed-in recipient's address (their account name).</param>
/// <param name="Mode">Who may be addressed: the sender only, or also the original To/Cc in the sender's domain.</param>
/// <param name="Text">The recipient's text.</param>
/// <param name="Attachments">The recipient's files.</param>
public sealed record PortalReplyDraft(Guid OriginalMessageId, string Author, PortalReplyMode Mode, string Text, IReadOnlyList<ReplyAttachment> Attachments);

/// <summary>
/// Queues replies written on the portal: composed as a normal reply to the held message, signed with the notices'
/// DKIM key, stored encrypted through the intake, delivered only over TLS.
/// </summary>
public interface IPortalReplies
{
    /// <summary>Composes and queues the reply; returns its message id, or null when the original has no sender to answer.</summary>
    /// <exception cref="SecureFallback.Core.Intake.IntakeUnavailableException">The queue could not store it now.</exception>
    Task<Guid?> QueueAsync(PortalReplyDraft draft, CancellationToken cancellationToken);
}
