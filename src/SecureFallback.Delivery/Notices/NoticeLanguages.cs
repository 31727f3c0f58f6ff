using System.Globalization;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Branding;
using SecureFallback.Core.Policies;
using SecureFallback.Delivery.Policies;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// The language of the mail to an address: the policy language of its domain (<c>Policies:&lt;domain&gt;:Language</c>:
/// the exact domain, else the most specific <c>*.domain</c>, else <c>default</c>, the first that names one), else
/// <c>Notices:Language</c>. A recipient's notice follows the recipient's domain; a sender's DSN or receipt the sender's.
/// </summary>
internal sealed class NoticeLanguages(IStringLocalizer<NoticeText> localizer, IOptions<NoticeOptions> notices, IOptions<PolicyOptions> policies)
{
    public MailLanguage ForAddress(string address) => ForDomain(address[(address.LastIndexOf('@') + 1)..]);

    public MailLanguage ForDomain(string domain)
    {
        var setting = PolicyLanguage(domain.TrimEnd('.').ToLowerInvariant()) ?? notices.Value.Language;
        // Validated at start; a value that somehow fails here still yields a mail, in the default language.
        if (!NoticeLanguageSetting.TryParse(setting, out var primary, out var second))
        {
            primary = SupportedLanguages.Default;
        }

        return new MailLanguage(Words(primary), second is null ? null : Words(second));
    }

    private MailWords Words(string code) => new(localizer, CultureInfo.GetCultureInfo(code));

    private string? PolicyLanguage(string domain)
    {
        var withLanguage = policies.Value.Policies.Where(p => !string.IsNullOrWhiteSpace(p.Value.Language)).ToList();
        var exact = withLanguage.FirstOrDefault(p => string.Equals(p.Key, domain, StringComparison.OrdinalIgnoreCase));
        var below = withLanguage
            .Where(p => p.Key.StartsWith("*.", StringComparison.Ordinal) && domain.EndsWith(p.Key[1..], StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(p => p.Key.Length)
            .FirstOrDefault();
        var fallback = withLanguage.FirstOrDefault(p => string.Equals(p.Key, TlsPolicy.DefaultPattern, StringComparison.OrdinalIgnoreCase));
        return (exact.Value ?? below.Value ?? fallback.Value)?.Language;
    }
}

/// <summary>Reads a language setting: one supported code, or two separated by a comma (the second for a short line).</summary>
internal static class NoticeLanguageSetting
{
    public static string Supported => string.Join(", ", SupportedLanguages.Codes);

    public static bool TryParse(string? value, out string primary, out string? second)
    {
        (primary, second) = (SupportedLanguages.Default, null);
        var parts = (value ?? "").Split(',', StringSplitOptions.TrimEntries);
        var codes = parts.Select(SupportedLanguages.Normalize).ToList();
        if (parts.Length is < 1 or > 2 || codes.Any(c => c is null))
        {
            return false;
        }

        primary = codes[0]!;
        second = codes.Count == 2 && codes[1] != primary ? codes[1] : null;
        return true;
    }
}
