namespace SecureFallback.Core.Pickup;

/// <summary>
/// The browser family named in a read receipt, from a User-Agent header: one of a few fixed words, never the header
/// itself (which the reader controls, and which would fingerprint them more than the sender needs).
/// </summary>
public static class BrowserFamily
{
    public const string Chrome = "Chrome";
    public const string Edge = "Edge";
    public const string Firefox = "Firefox";
    public const string Safari = "Safari";
    public const string Opera = "Opera";
    public const string Other = "other";

    /// <summary>
    /// The family of <paramref name="userAgent"/>. Edge and Opera are Chromium and say "Chrome/" too, and every
    /// WebKit or Blink browser says "Safari/", so the tokens are tried from the most specific to the least.
    /// </summary>
    public static string Of(string? userAgent)
    {
        if (string.IsNullOrEmpty(userAgent))
        {
            return Other;
        }

        bool Has(string token) => userAgent.Contains(token, StringComparison.Ordinal);
        return true switch
        {
            _ when Has("Edg/") || Has("EdgA/") || Has("EdgiOS/") || Has("Edge/") => Edge,
            _ when Has("OPR/") || Has("OPT/") || userAgent.StartsWith("Opera/", StringComparison.Ordinal) => Opera,
            _ when Has("Firefox/") || Has("FxiOS/") => Firefox,
            _ when Has("Chrome/") || Has("CriOS/") || Has("Chromium/") => Chrome,
            _ when Has("Safari/") && Has("Version/") => Safari,
            _ => Other,
        };
    }
}
