using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecureFallback.Core;

namespace SecureFallback.Portal;

/// <summary>
/// Rate limits on the endpoints that take secrets (passwords, codes, tokens): per client network
/// (<see cref="ClientNetwork"/>: an IPv4 address, an IPv6 /64).
/// </summary>
public static class PortalRateLimits
{
    public const string Credentials = "credentials";

    public static void Configure(RateLimiterOptions options)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.AddPolicy(Credentials, context => RateLimitPartition.GetFixedWindowLimiter(
            context.Connection.RemoteIpAddress is { } address ? ClientNetwork.KeyOf(address) : "unknown",
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = context.RequestServices.GetRequiredService<IOptions<PortalOptions>>().Value.CredentialRequestsPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));
    }
}

/// <summary>
/// Replies per portal account and hour (<c>Portal:RepliesPerHour</c>, default 10): counted per account, not per
/// network, since only a signed-in recipient can reply at all and a recipient may well move between networks.
/// </summary>
public sealed class ReplyRateLimiter(IOptions<PortalOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(account =>
        RateLimitPartition.GetFixedWindowLimiter(account.ToUpperInvariant(), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.RepliesPerHour,
            Window = TimeSpan.FromHours(1),
            QueueLimit = 0,
        }));

    /// <summary>A permit for one reply by <paramref name="account"/>; not acquired when its hour's replies are spent.</summary>
    public RateLimitLease Acquire(string account) => _limiter.AttemptAcquire(account);

    public void Dispose() => _limiter.Dispose();
}
