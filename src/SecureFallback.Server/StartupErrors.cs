using System.Net.Sockets;
using Microsoft.Extensions.Options;
using SecureFallback.Protection;

namespace SecureFallback.Server;

/// <summary>Turns the errors an admin can fix (bad settings, busy ports, unreadable keys) into one clear message.</summary>
internal static class StartupErrors
{
    public static string? Describe(Exception exception)
    {
        var root = exception is AggregateException aggregate ? aggregate.Flatten().InnerExceptions[0] : exception;
        return root switch
        {
            OptionsValidationException invalid =>
                "SecureFallback cannot start: the configuration is invalid.\n" + string.Join("\n", invalid.Failures.Select(f => "  - " + f)),
            SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } socket =>
                $"SecureFallback cannot start: an address is already in use ({socket.Message}). Stop the other process or change SecureFallback:Intake:Port / Urls.",
            IOException io when io.InnerException is SocketException or null && io.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) =>
                $"SecureFallback cannot start: {io.Message}. Change SecureFallback:Intake:Port or Urls.",
            DataDirectoryInUseException inUse => $"SecureFallback cannot start: {inUse.Message}",
            KeyRingUnavailableException keys => $"SecureFallback cannot start: {keys.Message}",
            Npgsql.NpgsqlException database =>
                $"SecureFallback cannot start: the PostgreSQL database is not usable ({database.Message}). Check ConnectionStrings:SecureFallback, and that the server runs and lets this user in.",
            UnauthorizedAccessException access =>
                $"SecureFallback cannot start: {access.Message}. Check the permissions of SecureFallback:DataDirectory.",
            _ => null,
        };
    }
}
