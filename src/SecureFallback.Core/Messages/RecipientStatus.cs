namespace SecureFallback.Core.Messages;

/// <summary>Where a recipient stands in the queue.</summary>
public enum RecipientStatus
{
    /// <summary>Waiting for its next attempt.</summary>
    Queued = 0,

    /// <summary>Final: accepted by the next hop over TLS.</summary>
    Delivered = 1,

    /// <summary>Final: not delivered; the sender is (or was) told by a DSN.</summary>
    Failed = 2,
}
