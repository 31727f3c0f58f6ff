using System.Globalization;
using Microsoft.AspNetCore.Identity;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>
/// The one code per account and purpose that is currently mailed out, kept as an Identity user token holding only its
/// hash, its expiry and the wrong tries so far. A code works once, for <see cref="Lifetime"/>, and dies after
/// <see cref="MaxWrongTries"/> wrong tries; these tries are counted here, apart from the password lockout, so nobody
/// can lock a recipient out of the portal by typing codes for their address.
/// </summary>
internal sealed class MailedCodes(UserManager<PortalUser> users, TimeProvider timeProvider)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    public const int MaxWrongTries = 3;

    private const string LoginProvider = "[SecureFallback]";

    /// <summary>Makes a new code for <paramref name="purpose"/>, replacing any earlier one, and returns it for the mail.</summary>
    public async Task<string> IssueAsync(PortalUser user, AccountMailPurpose purpose)
    {
        var code = OneTimeCode.New();
        var hash = OneTimeCode.Hash(user.Id, purpose.ToString(), OneTimeCode.Normalize(code)!);
        var expires = timeProvider.GetUtcNow() + Lifetime;
        await users.SetAuthenticationTokenAsync(user, LoginProvider, purpose.ToString(), Format(hash, expires, 0));
        return code;
    }

    /// <summary>True, and the code is spent, when <paramref name="typed"/> is the live code; otherwise a wrong try is counted.</summary>
    public async Task<bool> ConsumeAsync(PortalUser user, AccountMailPurpose purpose, string? typed)
    {
        var name = purpose.ToString();
        if (Parse(await users.GetAuthenticationTokenAsync(user, LoginProvider, name)) is not var (hash, expires, wrongTries))
        {
            return false;
        }

        if (wrongTries >= MaxWrongTries || timeProvider.GetUtcNow() >= expires)
        {
            await users.RemoveAuthenticationTokenAsync(user, LoginProvider, name);
            return false;
        }

        if (OneTimeCode.Matches(hash, user.Id, name, typed))
        {
            // Single use. Two requests racing with the same code cannot both win: the removal is saved with the
            // user's concurrency stamp, and the loser's save fails.
            return (await users.RemoveAuthenticationTokenAsync(user, LoginProvider, name)).Succeeded;
        }

        await (wrongTries + 1 >= MaxWrongTries
            ? users.RemoveAuthenticationTokenAsync(user, LoginProvider, name)
            : users.SetAuthenticationTokenAsync(user, LoginProvider, name, Format(hash, expires, wrongTries + 1)));
        return false;
    }

    private static string Format(byte[] hash, DateTimeOffset expires, int wrongTries) =>
        string.Create(CultureInfo.InvariantCulture, $"{Convert.ToBase64String(hash)}|{expires.ToUnixTimeMilliseconds()}|{wrongTries}");

    private static (byte[] Hash, DateTimeOffset Expires, int WrongTries)? Parse(string? stored)
    {
        var parts = stored?.Split('|');
        return parts is { Length: 3 }
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var wrongTries)
            ? (Convert.FromBase64String(parts[0]), DateTimeOffset.FromUnixTimeMilliseconds(expires), wrongTries)
            : null;
    }
}
