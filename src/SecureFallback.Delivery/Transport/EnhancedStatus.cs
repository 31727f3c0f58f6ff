using System.Text.RegularExpressions;

namespace SecureFallback.Delivery.Transport;

/// <summary>Reads the RFC 3463 enhanced status code from an SMTP reply text, or derives one from the basic code.</summary>
internal static partial class EnhancedStatus
{
    public static string From(int code, string? text)
    {
        var match = text is null ? Match.Empty : Pattern().Match(text);
        if (match.Success && match.Value[0] == (char)('0' + (code / 100)))
        {
            return match.Value;
        }

        return code >= 500 ? "5.0.0" : "4.0.0";
    }

    [GeneratedRegex(@"^[245]\.\d{1,3}\.\d{1,3}")]
    private static partial Regex Pattern();
}
