using System.Security.Cryptography;
using System.Text;

namespace SecureFallback.Core.Pickup;

/// <summary>
/// The PIN a sender passes on by phone or text message, so that whoever reads the recipient's unencrypted mail path
/// (and so the notice) still cannot open the message: ten characters of <see cref="PickupGrant.ReferenceAlphabet"/>
/// (no 0/O, 1/I/L; about 49 bits), shown as <c>XXXXX-XXXXX</c>, typed in any case with spaces or dashes anywhere.
/// Stored only as a salted PBKDF2-SHA256 hash (<see cref="Rfc2898DeriveBytes.Pbkdf2(byte[], byte[], int, HashAlgorithmName, int)"/>),
/// compared in fixed time.
/// </summary>
public static class PickupPin
{
    /// <summary>Characters in a PIN (without the dash).</summary>
    public const int Length = 10;

    /// <summary>Wrong PINs after which the message is locked for its recipient until a new PIN is issued.</summary>
    public const int MaxFailures = 5;

    private const int SaltLength = 16;
    private const int HashLength = 32;

    // A PIN is random and high-entropy, and five wrong tries lock it; the iterations only slow an offline search
    // of a stolen database, at a cost of milliseconds per check.
    private const int Iterations = 100_000;

    /// <summary>A fresh PIN from <see cref="RandomNumberGenerator"/>, formatted for reading aloud: <c>XXXXX-XXXXX</c>.</summary>
    public static string New()
    {
        var pin = RandomNumberGenerator.GetString(PickupGrant.ReferenceAlphabet, Length);
        return string.Concat(pin.AsSpan(0, Length / 2), "-", pin.AsSpan(Length / 2));
    }

    /// <summary>The PIN as typed, upper-cased, without spaces and dashes; null when it cannot be a PIN.</summary>
    public static string? Normalize(string? typed)
    {
        if (typed is null)
        {
            return null;
        }

        var builder = new StringBuilder(Length);
        foreach (var c in typed)
        {
            if (c is '-' || char.IsWhiteSpace(c))
            {
                continue;
            }

            var upper = char.ToUpperInvariant(c);
            if (!PickupGrant.ReferenceAlphabet.Contains(upper, StringComparison.Ordinal) || builder.Length == Length)
            {
                return null;
            }

            builder.Append(upper);
        }

        return builder.Length == Length ? builder.ToString() : null;
    }

    /// <summary>The stored form of a PIN: a fresh salt followed by its PBKDF2 hash.</summary>
    public static byte[] Hash(string pin)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltLength);
        return [.. salt, .. Derive(Normalize(pin) ?? "", salt)];
    }

    /// <summary>True when <paramref name="typed"/> is the PIN behind <paramref name="stored"/>; compared in fixed time.</summary>
    public static bool Matches(byte[]? stored, string? typed)
    {
        if (stored is not { Length: SaltLength + HashLength })
        {
            return false;
        }

        var normalized = Normalize(typed);
        var candidate = Derive(normalized ?? "", stored.AsSpan(0, SaltLength).ToArray());
        return CryptographicOperations.FixedTimeEquals(stored.AsSpan(SaltLength), candidate) && normalized is not null;
    }

    private static byte[] Derive(string normalized, byte[] salt) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.ASCII.GetBytes(normalized), salt, Iterations, HashAlgorithmName.SHA256, HashLength);
}
