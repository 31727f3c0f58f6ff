using System.Buffers;

namespace SecureFallback.Smtp;

/// <summary>
/// One pass over DATA for the two line checks of the intake:
/// <list type="bullet">
/// <item>bare CR or bare LF. Receivers that read <c>\n.\n</c> or <c>\r.\n</c> as end of data let one DATA carry a
/// second, spoofed message (SMTP smuggling, 2023); we refuse such input instead of passing it on;</item>
/// <item>the longest line, which RFC 5322 2.1.1 limits to 998 octets before the CRLF.</item>
/// </list>
/// </summary>
internal static class DataLines
{
    public readonly record struct Result(bool HasBareLineEnding, int LongestLine);

    public static Result Scan(in ReadOnlySequence<byte> data)
    {
        var bare = false;
        var longest = 0;
        var current = 0;
        var crPending = false; // the last byte seen was a CR: the next must be its LF
        foreach (var segment in data)
        {
            var span = segment.Span;
            while (!span.IsEmpty)
            {
                if (crPending)
                {
                    crPending = false;
                    if (span[0] == (byte)'\n')
                    {
                        span = span[1..];
                        continue;
                    }

                    bare = true; // CR not followed by LF
                }

                var end = span.IndexOfAny((byte)'\r', (byte)'\n');
                if (end < 0)
                {
                    current += span.Length;
                    break;
                }

                longest = Math.Max(longest, current + end);
                current = 0;
                // A CR's own LF is consumed above, so any LF found here had no CR before it.
                bare |= span[end] == (byte)'\n';
                crPending = span[end] == (byte)'\r';
                span = span[(end + 1)..];
            }
        }

        return new Result(bare || crPending, Math.Max(longest, current));
    }
}
