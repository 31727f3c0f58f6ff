namespace SecureFallback.Core.Delivery;

/// <summary>A recipient claimed for an attempt.</summary>
public sealed record DueRecipient(long Id, Guid MessageId, string Address, string Domain);
