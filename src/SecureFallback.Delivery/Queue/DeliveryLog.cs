using Microsoft.Extensions.Logging;
using SecureFallback.Core.Delivery;

namespace SecureFallback.Delivery.Queue;

/// <summary>Delivery log events: envelope and outcome only, never content.</summary>
internal static partial class DeliveryLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Message {MessageId} to {Recipient}: {Outcome} via {Host} [{Reason}] {Diagnostic}")]
    public static partial void Outcome(ILogger logger, Guid messageId, string recipient, DeliveryOutcome outcome, string? host, string? reason, string? diagnostic);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Delivery to domain {Domain} failed unexpectedly; its recipients stay queued")]
    public static partial void DomainFailed(ILogger logger, string domain, Exception exception);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Delivery loop error; retrying shortly")]
    public static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Error, Message = "The {Outbox} outbox failed; the other outboxes go on, it retries in {Seconds} s")]
    public static partial void OutboxFailed(ILogger logger, string outbox, int seconds, Exception exception);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Queued DSN {DsnId} to the sender of message {MessageId} for {Count} recipients")]
    public static partial void DsnQueued(ILogger logger, Guid dsnId, Guid messageId, int count);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Content of message {MessageId} failed authentication; it cannot be delivered")]
    public static partial void ContentTampered(ILogger logger, Guid messageId, Exception exception);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "Message {MessageId} could not be parsed; it is returned to the sender")]
    public static partial void ContentUnreadable(ILogger logger, Guid messageId, Exception exception);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Error, Message = "No DSN can be written for message {MessageId}: its envelope sender is not a usable address")]
    public static partial void DsnUndeliverable(ILogger logger, Guid messageId, Exception exception);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Message {MessageId} to {Recipient}: {Outcome} not applied, the claim is {Owner}'s now (the attempt is audited)")]
    public static partial void OutcomeNotApplied(ILogger logger, Guid messageId, string recipient, DeliveryOutcome outcome, string owner);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "Delivery to domain {Domain}: {Count} claims lapsed and may be another instance's; they are not sent from here")]
    public static partial void ClaimsLost(ILogger logger, string domain, int count);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Delivery to domain {Domain}: renewing the claims failed; retrying")]
    public static partial void RenewalFailed(ILogger logger, string domain, Exception exception);
}
