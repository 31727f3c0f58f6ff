using System.Globalization;
using SecureFallback.Core.Policies;

namespace SecureFallback.Delivery.Policies;

/// <summary>Parsing of the MTA-STS TXT record and policy file (RFC 8461 3.1, 3.2).</summary>
internal static class MtaStsText
{
    /// <summary>Longest <c>max_age</c> a policy may ask for (about one year).</summary>
    public const long MaxAgeLimit = 31_557_600;

    /// <summary>The <c>id</c> of a <c>v=STSv1; id=...</c> TXT record, or null when the record is not one.</summary>
    public static string? TxtId(string txt)
    {
        var fields = txt.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(f => f.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim(), StringComparer.Ordinal);
        return fields.GetValueOrDefault("v") == "STSv1" && fields.TryGetValue("id", out var id)
            && id.Length is > 0 and <= 32 && id.All(char.IsAsciiLetterOrDigit)
            ? id
            : null;
    }

    /// <summary>Parses a policy file; on success <paramref name="policy"/> has mode, patterns and max_age (as ExpiresAt offset).</summary>
    public static bool TryParsePolicy(string text, out MtaStsPolicy policy, out TimeSpan maxAge, out string error)
    {
        policy = new MtaStsPolicy();
        maxAge = TimeSpan.Zero;
        string? version = null, modeName = null, age = null;
        var patterns = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var (key, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            switch (key)
            {
                case "version": version ??= value; break;
                case "mode": modeName ??= value; break;
                case "max_age": age ??= value; break;
                case "mx": patterns.Add(value.ToLowerInvariant()); break;
            }
        }

        var knownMode = PolicyNames.TryParseMtaStsMode(modeName, out var mode);
        error = version != "STSv1" ? "version is not STSv1"
            : !knownMode ? $"mode '{modeName}' is not enforce, testing or none"
            : !long.TryParse(age, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > MaxAgeLimit ? $"max_age '{age}' is not 0-{MaxAgeLimit}"
            : mode != MtaStsMode.None && patterns.Count == 0 ? "no mx patterns"
            : "";
        if (error.Length > 0)
        {
            return false;
        }

        (policy.Mode, policy.MxPatterns, maxAge) = (mode, string.Join(' ', patterns), TimeSpan.FromSeconds(long.Parse(age!, CultureInfo.InvariantCulture)));
        return true;
    }
}
