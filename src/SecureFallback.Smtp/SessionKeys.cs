using System.Net;
using SmtpServer;
using SmtpServer.Net;

namespace SecureFallback.Smtp;

/// <summary>Our own entries in an SMTP session's property bag.</summary>
internal static class SessionKeys
{
    /// <summary>Set only by <see cref="RelayUserAuthenticator"/>; SmtpServer's own IsAuthenticated is not trusted for relay.</summary>
    public const string RelayUser = "SecureFallback.RelayUser";

    public const string RecipientCount = "SecureFallback.RecipientCount";

    public static IPAddress RemoteAddress(this ISessionContext context) =>
        context.Properties.TryGetValue(EndpointListener.RemoteEndPointKey, out var value) && value is IPEndPoint endPoint
            ? endPoint.Address
            : IPAddress.None;

    public static string? AuthenticatedRelayUser(this ISessionContext context) =>
        context.Properties.TryGetValue(RelayUser, out var value) ? value as string : null;
}
