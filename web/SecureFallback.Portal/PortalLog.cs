using Microsoft.Extensions.Logging;

namespace SecureFallback.Portal;

internal static partial class PortalLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Held message behind grant {GrantId} failed its integrity check and was not shown")]
    public static partial void ContentDamaged(ILogger logger, Guid grantId, Exception exception);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Passkeys are off: SecureFallback:Portal:PublicUrl '{PublicUrl}' must be an https:// address with a host name (or http://localhost) for browsers to offer them")]
    public static partial void PasskeysUnavailable(ILogger logger, string publicUrl);

    // The audit event of "this was not me": the account id (not the address) and how many held copies were locked.
    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Account {UserId} was disowned by the holder of a pickup link for its address: account locked, sessions ended, {Locked} held copies locked")]
    public static partial void AccountDisowned(ILogger logger, string userId, int locked);
}
