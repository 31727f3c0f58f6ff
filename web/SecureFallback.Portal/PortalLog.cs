using Microsoft.Extensions.Logging;

namespace SecureFallback.Portal;

internal static partial class PortalLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Held message behind grant {GrantId} failed its integrity check and was not shown")]
    public static partial void ContentDamaged(ILogger logger, Guid grantId, Exception exception);
}
