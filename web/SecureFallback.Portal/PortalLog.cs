using Microsoft.Extensions.Logging;

namespace SecureFallback.Portal;

internal static partial class PortalLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Held message behind grant {GrantId} failed its integrity check and was not shown")]
    public static partial void ContentDamaged(ILogger logger, Guid grantId, Exception exception);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Passkeys are off: SecureFallback:Portal:PublicUrl '{PublicUrl}' must be an https:// address with a host name (or http://localhost) for browsers to offer them")]
    public static partial void PasskeysUnavailable(ILogger logger, string publicUrl);
}
