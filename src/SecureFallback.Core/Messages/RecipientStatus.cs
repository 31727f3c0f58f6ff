namespace SecureFallback.Core.Messages;

/// <summary>Where a recipient stands in the queue.</summary>
public enum RecipientStatus
{
    /// <summary>Waiting for its next attempt.</summary>
    Queued = 0,

    /// <summary>Final: accepted by the next hop over TLS (or in clear under a deliver-plain test policy: <c>DeliveredInClear</c>).</summary>
    Delivered = 1,

    /// <summary>Final: not delivered; the sender is (or was) told by a DSN.</summary>
    Failed = 2,

    /// <summary>TLS could not be had: held, encrypted, for the recipient to pick up at the portal until <c>HoldUntil</c>.</summary>
    HeldForPickup = 3,

    /// <summary>Final: held for pickup but never picked up; the copy was destroyed (crypto-shredded).</summary>
    PickupExpired = 4,

    /// <summary>
    /// Final: held for pickup, then revoked by the sender (from the held DSN's link) or an administrator; the copy
    /// opens for nobody and its content is crypto-shredded as soon as no other recipient still needs it.
    /// </summary>
    Revoked = 5,
}

/// <summary>Who revoked a held copy (<see cref="QueuedRecipient.Revoke"/>): shown to the recipient and in the audit trail.</summary>
public enum RevokedBy
{
    /// <summary>The sender, from the revoke link in the held DSN.</summary>
    Sender = 0,

    /// <summary>An administrator, from the console or the command line.</summary>
    Administrator = 1,
}
