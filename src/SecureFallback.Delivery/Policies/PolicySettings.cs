using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Policies;

namespace SecureFallback.Delivery.Policies;

/// <summary>One entry under <c>SecureFallback:Policies:&lt;domain&gt;</c> (<c>default</c>, a domain or <c>*.domain</c>).</summary>
public sealed class PolicySetting
{
    /// <summary><c>encrypt</c> (default), <c>verify</c>, <c>secure</c> or <c>dane-only</c>.</summary>
    public string? Level { get; set; }

    /// <summary><c>pickup</c> (default), <c>bounce</c>, <c>retry-then-pickup</c> or <c>deliver-plain</c>.</summary>
    public string? OnFailure { get; set; }

    /// <summary>For <c>retry-then-pickup</c>: how long TLS is retried before the hold. Default 4 hours.</summary>
    public TimeSpan? RetryTlsFor { get; set; }

    /// <summary>
    /// Whether a <c>TLS-Required: No</c> header on a client's message may lower this domain's level to delivery even
    /// without TLS (RFC 8689 5). Default false: the header is ignored and the level holds.
    /// </summary>
    public bool HonourTlsRequiredNo { get; set; }

    /// <summary>
    /// Whether a message held for pickup to this domain opens only with a PIN that the sender gets in the held DSN and
    /// passes on by phone or text message. Default false (then <c>Pickup:RequirePin</c> decides).
    /// </summary>
    public bool PickupPin { get; set; }

    /// <summary>
    /// The language of the mail we write to this domain's addresses (notices to its recipients, DSNs and read receipts
    /// to its senders): one of en, de, fr, es, nl, or two separated by a comma (<c>de,en</c>: German, with a short
    /// English line at the top of the pickup notice). Unset: <c>Notices:Language</c>. Read from settings only.
    /// </summary>
    public string? Language { get; set; }
}

/// <summary>One entry under <c>SecureFallback:Rules:&lt;n&gt;</c>; every condition that is set must match.</summary>
public sealed class RuleSetting
{
    public string? SubjectContains { get; set; }

    public string? HeaderName { get; set; }

    public string? HeaderContains { get; set; }

    public string? SenderAddress { get; set; }

    public string? RecipientDomain { get; set; }

    /// <summary><c>pickup</c>, <c>pickup-with-pin</c> or a level name.</summary>
    public string? Action { get; set; }
}

/// <summary>The policies and rules from settings; they seed the database at each start.</summary>
public sealed class PolicyOptions
{
    public Dictionary<string, PolicySetting> Policies { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Rules by their configuration index (<c>Rules:0</c>, <c>Rules:1</c>, …), which is also their order.</summary>
    public SortedDictionary<int, RuleSetting> Rules { get; } = [];

    internal static void Bind(PolicyOptions options, IConfiguration configuration)
    {
        configuration.GetSection("SecureFallback:Policies").Bind(options.Policies);
        foreach (var rule in configuration.GetSection("SecureFallback:Rules").GetChildren())
        {
            if (int.TryParse(rule.Key, out var index))
            {
                options.Rules[index] = rule.Get<RuleSetting>() ?? new RuleSetting();
            }
        }
    }
}

/// <summary>Checks policy and rule settings at start, naming each bad one.</summary>
internal sealed class PolicyOptionsValidator : IValidateOptions<PolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        var errors = new List<string>();
        foreach (var (pattern, policy) in options.Policies)
        {
            var key = $"SecureFallback:Policies:{pattern}";
            if (!TlsPolicy.IsValidPattern(pattern))
            {
                errors.Add($"{key}: '{pattern}' must be default, a domain (partner.example) or *.domain.");
            }

            if (policy.Level is not null && !PolicyNames.TryParseLevel(policy.Level, out _))
            {
                errors.Add($"{key}:Level '{policy.Level}' must be encrypt, verify, secure or dane-only.");
            }

            if (policy.OnFailure is not null && !PolicyNames.TryParseAction(policy.OnFailure, out _))
            {
                errors.Add($"{key}:OnFailure '{policy.OnFailure}' must be pickup, bounce, retry-then-pickup or deliver-plain.");
            }

            if (policy.Language is { } language && !string.IsNullOrWhiteSpace(language) && !Notices.NoticeLanguageSetting.TryParse(language, out _, out _))
            {
                errors.Add($"{key}:Language '{language}' must be one language ({Notices.NoticeLanguageSetting.Supported}) or two separated by a comma, such as de,en.");
            }

            if (policy.RetryTlsFor is { } retry && retry <= TimeSpan.Zero)
            {
                errors.Add($"{key}:RetryTlsFor must be positive (e.g. 04:00:00).");
            }
        }

        foreach (var (index, rule) in options.Rules)
        {
            var key = $"SecureFallback:Rules:{index}";
            if (string.IsNullOrWhiteSpace(rule.SubjectContains) && string.IsNullOrWhiteSpace(rule.HeaderName)
                && string.IsNullOrWhiteSpace(rule.SenderAddress) && string.IsNullOrWhiteSpace(rule.RecipientDomain))
            {
                errors.Add($"{key} needs at least one condition: SubjectContains, HeaderName, SenderAddress or RecipientDomain.");
            }

            if (!string.Equals(rule.Action?.Trim(), "pickup", StringComparison.OrdinalIgnoreCase)
                && !string.Equals(rule.Action?.Trim(), PolicyEvaluator.PickupWithPinAction, StringComparison.OrdinalIgnoreCase)
                && !PolicyNames.TryParseLevel(rule.Action, out _))
            {
                errors.Add($"{key}:Action '{rule.Action}' must be pickup, pickup-with-pin or a level (encrypt, verify, secure, dane-only).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
