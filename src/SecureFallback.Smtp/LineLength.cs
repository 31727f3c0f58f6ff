using System.Buffers;

namespace SecureFallback.Smtp;

/// <summary>Measures message data lines, which RFC 5322 2.1.1 limits to 998 octets before the CRLF.</summary>
internal static class LineLength
{
    /// <summary>The longest line in <paramref name="data"/>, not counting its line ending.</summary>
    public static int Longest(in ReadOnlySequence<byte> data)
    {
        var longest = 0;
        var current = 0;
        foreach (var segment in data)
        {
            foreach (var b in segment.Span)
            {
                if (b is (byte)'\r' or (byte)'\n')
                {
                    longest = Math.Max(longest, current);
                    current = 0;
                }
                else
                {
                    current++;
                }
            }
        }

        return Math.Max(longest, current);
    }
}
