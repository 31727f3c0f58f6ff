using System.Globalization;
using Microsoft.AspNetCore.Identity;
using OtpNet;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>
/// Identity's authenticator (TOTP, RFC 6238: HMAC-SHA1, 30-second steps, six digits, two steps either side for clock
/// drift), with one change: a code is good once. The time step of the last accepted code is kept per user (an
/// Identity user token), and a code whose step is not newer is refused, so a code seen over a shoulder or on the wire
/// cannot be replayed within its window. Two requests racing with the same code cannot both win: the step is saved
/// with the user's concurrency stamp, and the loser's save fails.
/// </summary>
internal sealed class SingleUseAuthenticatorTokenProvider(TimeProvider timeProvider) : AuthenticatorTokenProvider<PortalUser>
{
    private const string LoginProvider = "[SecureFallback]";
    private const string LastStepName = "AuthenticatorLastStep";

    /// <summary>Codes of the two steps before and after the current one count too (clock drift), as in Identity's own.</summary>
    private static readonly VerificationWindow Drift = new(previous: 2, future: 2);

    public override async Task<bool> ValidateAsync(string purpose, string token, UserManager<PortalUser> manager, PortalUser user)
    {
        var key = await manager.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrWhiteSpace(key) || token is not { Length: 6 } || !token.All(char.IsAsciiDigit) || KeyBytes(key) is not { } keyBytes)
        {
            return false;
        }

        var lastStep = long.TryParse(await manager.GetAuthenticationTokenAsync(user, LoginProvider, LastStepName), NumberStyles.None, CultureInfo.InvariantCulture, out var last) ? last : -1;
        var totp = new Totp(keyBytes, step: 30, OtpHashMode.Sha1, totpSize: 6);
        if (!totp.VerifyTotp(timeProvider.GetUtcNow().UtcDateTime, token, out var accepted, Drift) || accepted <= lastStep)
        {
            return false;
        }

        var saved = await manager.SetAuthenticationTokenAsync(user, LoginProvider, LastStepName, accepted.ToString(CultureInfo.InvariantCulture));
        return saved.Succeeded;
    }

    /// <summary>The authenticator key, RFC 4648 base32 as Identity writes it; null when it is not.</summary>
    private static byte[]? KeyBytes(string key)
    {
        try
        {
            return Base32Encoding.ToBytes(key);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
