using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
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
    private const int StepSeconds = 30;
    private const int DriftSteps = 2;

    public override async Task<bool> ValidateAsync(string purpose, string token, UserManager<PortalUser> manager, PortalUser user)
    {
        var key = await manager.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrWhiteSpace(key) || token is not { Length: 6 } || !token.All(char.IsAsciiDigit) || FromBase32(key) is not { } keyBytes)
        {
            return false;
        }

        var lastStep = long.TryParse(await manager.GetAuthenticationTokenAsync(user, LoginProvider, LastStepName), NumberStyles.None, CultureInfo.InvariantCulture, out var last) ? last : -1;
        var now = timeProvider.GetUtcNow().ToUnixTimeSeconds() / StepSeconds;
        long? matched = null;
        for (var step = now - DriftSteps; step <= now + DriftSteps; step++)
        {
            // Every step is computed and compared, in constant time, whichever matches.
            if (CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(Code(keyBytes, step)), System.Text.Encoding.ASCII.GetBytes(token)))
            {
                matched = step;
            }
        }

        if (matched is not { } accepted || accepted <= lastStep)
        {
            return false;
        }

        var saved = await manager.SetAuthenticationTokenAsync(user, LoginProvider, LastStepName, accepted.ToString(CultureInfo.InvariantCulture));
        return saved.Succeeded;
    }

    private static string Code(byte[] key, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> hash = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(key, counter, hash);
        var offset = hash[^1] & 0x0F;
        var binary = (BinaryPrimitives.ReadInt32BigEndian(hash[offset..]) & 0x7FFFFFFF) % 1_000_000;
        return binary.ToString("D6", CultureInfo.InvariantCulture);
    }

    /// <summary>RFC 4648 base32 as Identity writes authenticator keys; null when it is not.</summary>
    private static byte[]? FromBase32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>(text.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('='))
        {
            var value = alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal);
            if (value < 0)
            {
                return null;
            }

            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes.Add((byte)(buffer >> bits));
                buffer &= (1 << bits) - 1;
            }
        }

        return [.. bytes];
    }
}
