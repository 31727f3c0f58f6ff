using SecureFallback.Core.Policies;

namespace SecureFallback.Core.Tests;

public sealed class PolicyEvaluatorTests
{
    private static readonly TlsPolicy[] Policies =
    [
        new() { Pattern = "default", Level = TlsLevel.Encrypt, OnFailure = FailureAction.Pickup },
        new() { Pattern = "*.example.com", Level = TlsLevel.Verify, OnFailure = FailureAction.Bounce },
        new() { Pattern = "*.eu.example.com", Level = TlsLevel.Secure, OnFailure = FailureAction.Pickup },
        new() { Pattern = "bank.example.com", Level = TlsLevel.DaneOnly, OnFailure = FailureAction.RetryThenPickup },
    ];

    [Theory]
    [InlineData("bank.example.com", TlsLevel.DaneOnly, "policy bank.example.com")] // exact beats wildcard
    [InlineData("MX.Example.COM", TlsLevel.Verify, "policy *.example.com")]
    [InlineData("a.eu.example.com", TlsLevel.Secure, "policy *.eu.example.com")] // most specific wildcard
    [InlineData("example.com", TlsLevel.Encrypt, "policy default")] // *.example.com does not cover example.com itself
    [InlineData("other.test", TlsLevel.Encrypt, "policy default")]
    public void DomainPolicy_PicksExactThenMostSpecificWildcardThenDefault(string domain, TlsLevel level, string source)
    {
        var decision = new PolicyEvaluator(Policies, []).DomainPolicy(domain);

        Assert.Equal(level, decision.Level);
        Assert.Equal(source, decision.Source);
    }

    [Fact]
    public void Decide_FirstMatchingRuleWins_AndEveryConditionMustHold()
    {
        ContentRule[] rules =
        [
            new() { Position = 2, SubjectContains = "[secure]", Action = "pickup" },
            new() { Position = 1, SubjectContains = "[secure]", RecipientDomain = "*.example.com", Action = "secure" },
            new() { Position = 3, HeaderName = "X-Classification", HeaderContains = "confidential", Action = "pickup" },
        ];
        var evaluator = new PolicyEvaluator(Policies, rules);
        MessageFacts Facts(string subject, string domain, string? classification = null) =>
            new(subject, name => name == "X-Classification" ? classification : null, "alice@sender.test", domain);

        var forPartner = evaluator.Decide(Facts("[SECURE] salary", "mx.example.com"));
        Assert.Equal(TlsLevel.Secure, forPartner.Level);
        Assert.False(forPartner.ForcePickup);
        Assert.Contains("rule 1", forPartner.Source);

        var elsewhere = evaluator.Decide(Facts("[secure] salary", "gmail.test"));
        Assert.True(elsewhere.ForcePickup);
        Assert.Contains("rule 2", elsewhere.Source);

        Assert.True(evaluator.Decide(Facts("hello", "gmail.test", "Strictly Confidential")).ForcePickup);
        var plain = evaluator.Decide(Facts("hello", "gmail.test", "public"));
        Assert.False(plain.ForcePickup);
        Assert.Equal("policy default", plain.Source);
    }

    private static MessageFacts FactsFor(string domain, string subject = "hello") => new(subject, _ => null, "alice@sender.test", domain);

    [Fact]
    public void RequirePin_WhenTheDomainPolicyAsksForIt_OnlyForThatDomain()
    {
        TlsPolicy[] policies = [.. Policies, new() { Pattern = "clinic.test", Level = TlsLevel.Encrypt, OnFailure = FailureAction.Pickup, PickupPin = true }];
        var evaluator = new PolicyEvaluator(policies, []);

        Assert.True(evaluator.Decide(FactsFor("clinic.test")).RequirePin);
        Assert.True(evaluator.DomainPolicy("CLINIC.test").RequirePin);
        Assert.False(evaluator.Decide(FactsFor("other.test")).RequirePin);
    }

    [Fact]
    public void RequirePin_WhenARulePicksUpWithPin_ForcesPickupWithPin_OnlyForMatchingMessages()
    {
        ContentRule[] rules = [new() { Position = 1, SubjectContains = "[pin]", Action = PolicyEvaluator.PickupWithPinAction }];
        var evaluator = new PolicyEvaluator(Policies, rules);

        var matched = evaluator.Decide(FactsFor("gmail.test", "[PIN] salary"));
        Assert.True(matched.ForcePickup);
        Assert.True(matched.RequirePin);
        Assert.Contains("pickup-with-pin", matched.Source);
        var other = evaluator.Decide(FactsFor("gmail.test", "lunch"));
        Assert.False(other.ForcePickup);
        Assert.False(other.RequirePin);
    }

    [Fact]
    public void RequirePin_WhenTheGlobalDefaultAsksForIt_AppliesToEveryDomainAndRule()
    {
        ContentRule[] rules = [new() { Position = 1, SubjectContains = "[secure]", Action = "verify" }];
        var evaluator = new PolicyEvaluator(Policies, rules, requirePinByDefault: true);

        Assert.True(evaluator.Decide(FactsFor("other.test")).RequirePin);
        Assert.True(evaluator.Decide(FactsFor("bank.example.com", "[secure] x")).RequirePin);
        Assert.True(evaluator.DomainPolicy("a.eu.example.com").RequirePin);
    }

    [Fact]
    public void RequirePin_WhenNothingAsksForIt_IsOff_EvenForAPlainPickupRule()
    {
        ContentRule[] rules = [new() { Position = 1, SubjectContains = "[secure]", Action = "pickup" }];
        var evaluator = new PolicyEvaluator(Policies, rules);

        Assert.False(evaluator.Decide(FactsFor("other.test", "[secure] x")).RequirePin);
        Assert.False(evaluator.DomainPolicy("bank.example.com").RequirePin);
        Assert.False(PolicyDecision.Default.RequirePin);
    }
}
