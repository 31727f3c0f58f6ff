using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Protocol;

namespace SecureFallback.Smtp;

/// <summary>
/// Checks AUTH PLAIN/LOGIN credentials against the relay users (managed with <c>securefallback users</c>).
/// Refuses any AUTH outside TLS, even though SmtpServer would run the exchange without advertising AUTH.
/// </summary>
internal sealed class RelayUserAuthenticator(
    IServiceScopeFactory scopeFactory,
    IPasswordHasher<RelayUser> passwordHasher,
    AuthFailureLimiter failures,
    ILogger<RelayUserAuthenticator> logger) : IUserAuthenticator
{
    public async Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken)
    {
        if (!context.Pipe.IsSecure)
        {
            IntakeLog.AuthRefusedWithoutTls(logger, context.RemoteAddress().ToString());
            return false;
        }

        var address = context.RemoteAddress();
        if (failures.IsLimited(address))
        {
            IntakeLog.AuthRateLimited(logger, address.ToString());
            throw new SmtpResponseException(new SmtpResponse(
                SmtpReplyCode.ClientNotPermitted, // 454, RFC 4954: temporary authentication failure
                "4.7.0 Too many failed authentications from your network, try again later"));
        }

        var name = user.Trim().ToLowerInvariant();
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var account = await db.RelayUsers.AsNoTracking().SingleOrDefaultAsync(u => u.Name == name, cancellationToken);
        var verified = account is not null &&
            passwordHasher.VerifyHashedPassword(account, account.PasswordHash, password) != PasswordVerificationResult.Failed;

        if (!verified)
        {
            failures.RecordFailure(address);
            IntakeLog.AuthFailed(logger, context.RemoteAddress().ToString());
            return false;
        }

        context.Properties[SessionKeys.RelayUser] = account!.Name;
        IntakeLog.AuthSucceeded(logger, account.Name, context.RemoteAddress().ToString());
        return true;
    }
}
