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
