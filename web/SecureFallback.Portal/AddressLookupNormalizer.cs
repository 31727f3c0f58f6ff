using Microsoft.AspNetCore.Identity;
using SecureFallback.Core.Pickup;

namespace SecureFallback.Portal;

/// <summary>
/// Identity's look-up names (<c>NormalizedUserName</c>, <c>NormalizedEmail</c>, role names) in the address rule of
/// <see cref="AsciiCase"/>: ASCII letters upper-cased, everything else exactly as typed. Identity's default
/// (<c>ToUpperInvariant</c> after Unicode normalization) would make <c>jürgen@</c> and <c>JÜRGEN@</c> one account,
/// so whoever registered first would read the other mailbox's messages. For ASCII names both give the same, so stored
/// look-up names stay valid; migration AddressKeys recomputes the others.
/// </summary>
public sealed class AddressLookupNormalizer : ILookupNormalizer
{
    /// <summary>The look-up name of an account's address (what <c>NormalizedEmail</c> and <c>NormalizedUserName</c> hold).</summary>
    public static string Normalize(string address) => AsciiCase.Upper(address);

    public string? NormalizeName(string? name) => name is null ? null : Normalize(name);

    public string? NormalizeEmail(string? email) => email is null ? null : Normalize(email);
}
