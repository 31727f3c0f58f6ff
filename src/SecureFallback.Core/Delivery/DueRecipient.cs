namespace SecureFallback.Core.Delivery;

/// <summary>A recipient claimed for an attempt.</summary>
/// <param name="Id">The recipient's id.</param>
/// <param name="MessageId">Its message.</param>
/// <param name="Address">Its address.</param>
/// <param name="Domain">Its lower-case domain.</param>
/// <param name="AfterHold">Queued from a hold to try TLS again: over mandatory TLS only, never in clear whatever the policy.</param>
public sealed record DueRecipient(long Id, Guid MessageId, string Address, string Domain, bool AfterHold = false);
