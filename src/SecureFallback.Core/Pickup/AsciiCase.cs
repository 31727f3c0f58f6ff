namespace SecureFallback.Core.Pickup;

/// <summary>
/// The one case rule for addresses (<see cref="PickupGrant.AddressKeyOf"/>, the portal's account look-ups): only the
/// ASCII letters A–Z and a–z are folded; every other character stays exactly as it is. RFC 5321 leaves the local
/// part's case to the receiving system, and mail systems commonly ignore ASCII case only; folding more would merge
/// mailboxes that may belong to different people (<c>ımran@</c> and <c>imran@</c>, <c>jürgen@</c> and
/// <c>JÜRGEN@</c>), and databases fold non-ASCII letters differently (SQLite's <c>lower()</c> not at all,
/// PostgreSQL's by its collation), so a key folded in C# is stored and compared exactly.
/// </summary>
public static class AsciiCase
{
    /// <summary><paramref name="text"/> with A–Z turned into a–z, nothing else changed.</summary>
    public static string Lower(string text) => Map(text, 'A', 'Z', 'a' - 'A');

    /// <summary><paramref name="text"/> with a–z turned into A–Z, nothing else changed.</summary>
    public static string Upper(string text) => Map(text, 'a', 'z', 'A' - 'a');

    private static string Map(string text, char first, char last, int shift)
    {
        var from = text.AsSpan().IndexOfAnyInRange(first, last);
        if (from < 0)
        {
            return text;
        }

        return string.Create(text.Length, (text, from, first, last, shift), static (chars, state) =>
        {
            state.text.AsSpan().CopyTo(chars);
            for (var i = state.from; i < chars.Length; i++)
            {
                if (chars[i] >= state.first && chars[i] <= state.last)
                {
                    chars[i] = (char)(chars[i] + state.shift);
                }
            }
        });
    }
}
