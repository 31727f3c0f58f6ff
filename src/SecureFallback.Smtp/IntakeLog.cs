using Microsoft.Extensions.Logging;

namespace SecureFallback.Smtp;

/// <summary>Intake log events. Never bodies, subjects or credentials.</summary>
internal static partial class IntakeLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "SMTP intake listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Queued message {MessageId} from {Client}: {RecipientCount} recipients, {Size} bytes")]
    public static partial void Queued(ILogger logger, Guid messageId, string client, int recipientCount, long size);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Refused message from {Client}: bare CR or LF in DATA")]
    public static partial void BareLineEnding(ILogger logger, string client);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Could not queue message from {Client}; answered 451")]
    public static partial void QueueUnavailable(ILogger logger, string client, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "AUTH refused from {Client}: not inside TLS")]
    public static partial void AuthRefusedWithoutTls(ILogger logger, string client);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "AUTH failed from {Client}")]
    public static partial void AuthFailed(ILogger logger, string client);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "AUTH succeeded for relay user {User} from {Client}")]
    public static partial void AuthSucceeded(ILogger logger, string user, string client);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Generated a self-signed intake certificate at {Path}; set SecureFallback:Intake:CertificatePath for a real one")]
    public static partial void GeneratedCertificate(ILogger logger, string path);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "Refused message from {Client}: {Size} bytes is over the limit of {Limit}")]
    public static partial void Oversize(ILogger logger, string client, long size, int limit);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "SMTP session from {Client} faulted")]
    public static partial void SessionFaulted(ILogger logger, string client, Exception exception);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "AUTH refused from {Client}: too many failed attempts from that address")]
    public static partial void AuthRateLimited(ILogger logger, string client);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Refused message from {Client}: a line of data is longer than {Limit} octets")]
    public static partial void LineTooLong(ILogger logger, string client, int limit);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "SMTP session from {Client} ended: {Reason}")]
    public static partial void SessionDropped(ILogger logger, string client, string reason);
}
