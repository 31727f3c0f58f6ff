using System.Security.Cryptography;
using System.Text;

namespace SecureFallback.Core.Pickup;

/// <summary>
/// The one-time codes the portal mails (registration, password reset): ten characters of a 32-letter alphabet without
/// 0/O and 1/I (50 bits), shown as two groups of five such as <c>K7Q4M-9TXW2</c>. Typed input is accepted in any case,
/// with spaces and dashes anywhere. Only a hash of the code is stored, bound to the account and the purpose.
/// </summary>
public static class OneTimeCode
{
    /// <summary>Digits 2–9 and the letters without I and O: nothing a reader can confuse.</summary>
    public const string Alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

    /// <summary>Characters in a code (without the dash): 10 × 5 bits.</summary>
    public const int Length = 10;

    /// <summary>A fresh code from <see cref="RandomNumberGenerator"/>, formatted for reading: <c>XXXXX-XXXXX</c>.</summary>
    public static string New()
    {
        var code = RandomNumberGenerator.GetString(Alphabet, Length);
        return string.Concat(code.AsSpan(0, Length / 2), "-", code.AsSpan(Length / 2));
    }

    /// <summary>The code as typed, upper-cased with spaces and dashes removed; null when it cannot be a code.</summary>
    public static string? Normalize(string? typed)
    {
        if (typed is null)
        {
            return null;
        }

        var builder = new StringBuilder(Length);
        foreach (var c in typed)
        {
            if (c is ' ' or '-' || char.IsWhiteSpace(c))
            {
                continue;
            }

            var upper = char.ToUpperInvariant(c);
            if (!Alphabet.Contains(upper, StringComparison.Ordinal) || builder.Length == Length)
            {
                return null;
            }

            builder.Append(upper);
        }

        return builder.Length == Length ? builder.ToString() : null;
    }

    /// <summary>The stored form of a (normalised) code: SHA-256 over account, purpose and code.</summary>
    public static byte[] Hash(string accountId, string purpose, string normalized) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"{accountId}\n{purpose}\n{normalized}"));

    /// <summary>True when <paramref name="typed"/> is the code behind <paramref name="hash"/>; compared in constant time.</summary>
    public static bool Matches(byte[] hash, string accountId, string purpose, string? typed)
    {
        var normalized = Normalize(typed);
        var candidate = Hash(accountId, purpose, normalized ?? "");
        return CryptographicOperations.FixedTimeEquals(hash, candidate) && normalized is not null;
    }
}
