namespace SecureFallback.Core.Policies;

/// <summary>The facts about one message and recipient that rules look at.</summary>
/// <param name="Subject">Decoded subject, or null.</param>
/// <param name="Header">Looks up a header's decoded value by name (null when absent).</param>
/// <param name="EnvelopeFrom">MAIL FROM address, empty for the null sender.</param>
/// <param name="RecipientDomain">Domain of the recipient being decided.</param>
public sealed record MessageFacts(string? Subject, Func<string, string?> Header, string EnvelopeFrom, string RecipientDomain);

/// <summary>
/// Picks the policy for a recipient domain (exact beats the most specific <c>*.</c> pattern, which beats
/// <c>default</c>) and applies the first matching content rule on top.
/// </summary>
/// <param name="policies">The TLS policies in force.</param>
/// <param name="rules">The content rules in force.</param>
/// <param name="requirePinByDefault"><c>Pickup:RequirePin</c>: every held copy needs the sender's PIN.</param>
public sealed class PolicyEvaluator(IReadOnlyCollection<TlsPolicy> policies, IReadOnlyList<ContentRule> rules, bool requirePinByDefault = false)
{
    /// <summary>The rule action that forces pickup and, at the first opening, the sender's PIN.</summary>
    public const string PickupWithPinAction = "pickup-with-pin";

    /// <summary>The decision of the recipient domain's policy alone, with the PIN the policy or the default asks for.</summary>
    public PolicyDecision DomainPolicy(string domain)
    {
        domain = domain.ToLowerInvariant();
        var policy = policies.FirstOrDefault(p => p.Pattern == domain)
            ?? policies.Where(p => p.Pattern.StartsWith("*.", StringComparison.Ordinal) && IsBelow(domain, p.Pattern[2..]))
                .MaxBy(p => p.Pattern.Length)
            ?? policies.FirstOrDefault(p => p.Pattern == TlsPolicy.DefaultPattern);
        var decision = policy is null
            ? PolicyDecision.Default
            : new PolicyDecision(policy.Level, policy.OnFailure, policy.RetryTlsFor, false, $"policy {policy.Pattern}", HonourTlsRequiredNo: policy.HonourTlsRequiredNo);
        // A PIN is only ever added, never taken away: the global default or the domain's policy each suffice.
        return decision with { RequirePin = requirePinByDefault || policy?.PickupPin == true };
    }

    /// <summary>The domain's decision with the first matching rule applied: a level, <c>pickup</c> or <c>pickup-with-pin</c>.</summary>
    public PolicyDecision Decide(MessageFacts facts)
    {
        var decision = DomainPolicy(facts.RecipientDomain);
        var rule = rules.OrderBy(r => r.Position).FirstOrDefault(r => Matches(r, facts));
        if (rule is null)
        {
            return decision;
        }

        var source = $"{decision.Source}; {rule.Describe()}";
        if (PolicyNames.TryParseLevel(rule.Action, out var level))
        {
            return decision with { Level = level, Source = source };
        }

        var withPin = string.Equals(rule.Action, PickupWithPinAction, StringComparison.OrdinalIgnoreCase);
        return decision with { ForcePickup = true, RequirePin = decision.RequirePin || withPin, Source = source };
    }

    public static bool Matches(ContentRule rule, MessageFacts facts)
    {
        if (!string.IsNullOrEmpty(rule.SubjectContains) && facts.Subject?.Contains(rule.SubjectContains, StringComparison.OrdinalIgnoreCase) != true)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(rule.HeaderName))
        {
            var value = facts.Header(rule.HeaderName);
            if (value is null || (!string.IsNullOrEmpty(rule.HeaderContains) && !value.Contains(rule.HeaderContains, StringComparison.OrdinalIgnoreCase)))
            {
                return false;
            }
        }

        if (!string.IsNullOrEmpty(rule.SenderAddress) && !string.Equals(rule.SenderAddress, facts.EnvelopeFrom, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (!string.IsNullOrEmpty(rule.RecipientDomain))
        {
            var pattern = rule.RecipientDomain.ToLowerInvariant();
            var domain = facts.RecipientDomain.ToLowerInvariant();
            var matches = pattern.StartsWith("*.", StringComparison.Ordinal) ? IsBelow(domain, pattern[2..]) : pattern == domain;
            if (!matches)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsBelow(string domain, string parent) => domain.EndsWith("." + parent, StringComparison.Ordinal);
}
