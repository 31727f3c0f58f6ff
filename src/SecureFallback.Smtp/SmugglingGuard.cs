using System.Buffers;

namespace SecureFallback.Smtp;

/// <summary>
/// Detects bare CR or bare LF in DATA. Receivers that read <c>\n.\n</c> or <c>\r.\n</c> as end of data let one
/// DATA carry a second, spoofed message (SMTP smuggling, 2023); we refuse such input instead of passing it on.
/// </summary>
internal static class SmugglingGuard
{
    public static bool HasBareLineEnding(in ReadOnlySequence<byte> data)
    {
        var previous = (byte)0;
        var expectLf = false;
        foreach (var segment in data)
        {
            foreach (var current in segment.Span)
            {
                if (expectLf && current != (byte)'\n')
                {
                    return true; // CR not followed by LF
                }

                if (current == (byte)'\n' && previous != (byte)'\r')
                {
                    return true; // LF not preceded by CR
                }

                expectLf = current == (byte)'\r';
                previous = current;
            }
        }

        return expectLf; // a trailing lone CR
    }
}
