using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;

namespace SecureFallback.Core.Tests;

public sealed class TlsRequirementTests
{
    private const string Domain = "partner.test";
    private static readonly string[] Mx = ["mx1.partner.test", "mx2.elsewhere.test"];

    private static readonly TlsPolicy[] Policies =
    [
        new() { Pattern = "default", Level = TlsLevel.Encrypt, OnFailure = FailureAction.Pickup },
        new() { Pattern = "plain.test", Level = TlsLevel.Encrypt, OnFailure = FailureAction.DeliverPlain },
        new() { Pattern = "secure.test", Level = TlsLevel.Secure, OnFailure = FailureAction.Bounce },
        new() { Pattern = "dane.test", Level = TlsLevel.DaneOnly, OnFailure = FailureAction.Pickup },
        new() { Pattern = "verify.test", Level = TlsLevel.Verify, OnFailure = FailureAction.Pickup },
        new() { Pattern = "honour.test", Level = TlsLevel.Verify, OnFailure = FailureAction.Pickup, HonourTlsRequiredNo = true },
    ];

    private static readonly ContentRule[] Rules =
    [
        new() { Position = 0, SubjectContains = "[secure]", Action = "pickup" },
        new() { Position = 1, SubjectContains = "[verify]", Action = "verify" },
    ];

    private static readonly PolicyEvaluator Evaluator = new(Policies, Rules);

    private static MessageTlsRequest Message(string domain = Domain, string subject = "hello", bool requireTls = false, string? tlsRequired = null, MessageKind kind = MessageKind.Submitted) =>
        new(kind, new MessageFacts(subject, name => name == "TLS-Required" ? tlsRequired : null, "alice@sender.test", domain), requireTls, tlsRequired);

    private static MtaStsPolicy Sts(MtaStsMode mode, string mx = "mx1.partner.test") =>
        new() { Domain = Domain, PolicyId = "20261125", Mode = mode, MxPatterns = mx };

    [Fact]
    public void Decide_WithoutMessage_IsTheDomainPolicy_WithEveryMx()
    {
        var requirement = TlsRequirement.Decide(Evaluator, "secure.test", null, null, Mx);

        Assert.Equal((TlsLevel.Secure, FailureAction.Bounce, "policy secure.test"), (requirement.Level, requirement.OnFailure, requirement.Decision.Source));
        Assert.Equal(Mx, requirement.AllowedMx);
        Assert.Null(requirement.MxFailure);
        Assert.False(requirement.Decision.ForcePickup);
        Assert.False(requirement.Decision.RequireTls);
    }

    [Fact]
    public void Decide_PlainSubmittedMessage_IsTheDomainPolicy()
    {
        var requirement = TlsRequirement.Decide(Evaluator, Domain, Message(), null, Mx);

        Assert.Equal(PolicyDecision.Default, requirement.Decision);
    }

    [Fact]
    public void Decide_ContentRule_RaisesTheLevel()
    {
        var requirement = TlsRequirement.Decide(Evaluator, Domain, Message(subject: "[verify] salary"), null, Mx);

        Assert.Equal(TlsLevel.Verify, requirement.Level);
        Assert.False(requirement.Decision.ForcePickup);
        Assert.Equal("policy default; rule 1 (subject contains [verify] → verify)", requirement.Decision.Source);
    }

    [Fact]
    public void Decide_ContentRule_ForcesPickup()
    {
        var requirement = TlsRequirement.Decide(Evaluator, Domain, Message(subject: "[SECURE] salary"), null, Mx);

        Assert.True(requirement.Decision.ForcePickup);
        Assert.Equal("policy default; rule 0 (subject contains [secure] → pickup)", requirement.Decision.Source);
    }

    [Theory]
    [InlineData("default.test", TlsLevel.Encrypt, FailureAction.Pickup, TlsLevel.Verify, FailureAction.Pickup)]
    [InlineData("plain.test", TlsLevel.Encrypt, FailureAction.DeliverPlain, TlsLevel.Verify, FailureAction.Pickup)]
    [InlineData("secure.test", TlsLevel.Secure, FailureAction.Bounce, TlsLevel.Secure, FailureAction.Bounce)]
    [InlineData("dane.test", TlsLevel.DaneOnly, FailureAction.Pickup, TlsLevel.DaneOnly, FailureAction.Pickup)]
    public void Decide_RequireTls_RaisesToVerify_AndNeverPlain(string domain, TlsLevel policyLevel, FailureAction policyAction, TlsLevel level, FailureAction action)
    {
        var without = TlsRequirement.Decide(Evaluator, domain, Message(domain), null, Mx);
        var requirement = TlsRequirement.Decide(Evaluator, domain, Message(domain, requireTls: true), null, Mx);

        Assert.Equal((policyLevel, policyAction), (without.Level, without.OnFailure));
        Assert.Equal((level, action, true), (requirement.Level, requirement.OnFailure, requirement.Decision.RequireTls));
        Assert.Equal($"{without.Decision.Source}; REQUIRETLS", requirement.Decision.Source);
    }

    [Theory]
    [InlineData("No")]
    [InlineData(" no ")]
    public void Decide_TlsRequiredNo_WherePolicyHonoursIt_LowersToEncrypt_AndDeliversPlain(string header)
    {
        var requirement = TlsRequirement.Decide(Evaluator, "honour.test", Message("honour.test", tlsRequired: header), null, Mx);

        Assert.Equal((TlsLevel.Encrypt, FailureAction.DeliverPlain), (requirement.Level, requirement.OnFailure));
        Assert.Equal("policy honour.test; TLS-Required: No", requirement.Decision.Source);
    }

    [Fact]
    public void Decide_TlsRequiredNo_WherePolicyHonoursIt_LowersAContentRulesLevelToo()
    {
        var requirement = TlsRequirement.Decide(Evaluator, "honour.test", Message("honour.test", "[verify] x", tlsRequired: "No"), null, Mx);

        Assert.Equal((TlsLevel.Encrypt, FailureAction.DeliverPlain), (requirement.Level, requirement.OnFailure));
        Assert.Equal("policy honour.test; rule 1 (subject contains [verify] → verify); TLS-Required: No", requirement.Decision.Source);
    }

    [Theory]
    [InlineData("verify.test", TlsLevel.Verify, FailureAction.Pickup)]
    [InlineData("secure.test", TlsLevel.Secure, FailureAction.Bounce)]
    [InlineData("dane.test", TlsLevel.DaneOnly, FailureAction.Pickup)]
    public void Decide_TlsRequiredNo_IsIgnored_UnlessThePolicyHonoursIt(string domain, TlsLevel level, FailureAction action)
    {
        var requirement = TlsRequirement.Decide(Evaluator, domain, Message(domain, tlsRequired: "No"), null, Mx);

        Assert.Equal((level, action), (requirement.Level, requirement.OnFailure));
        Assert.Equal($"policy {domain}; TLS-Required: No ignored (policy does not honour it)", requirement.Decision.Source);
    }

    [Fact]
    public void Decide_TlsRequiredNo_IsIgnored_ForAContentRulesLevel_UnlessThePolicyHonoursIt()
    {
        var requirement = TlsRequirement.Decide(Evaluator, Domain, Message(subject: "[verify] x", tlsRequired: "No"), null, Mx);

        Assert.Equal((TlsLevel.Verify, FailureAction.Pickup), (requirement.Level, requirement.OnFailure));
        Assert.EndsWith("; TLS-Required: No ignored (policy does not honour it)", requirement.Decision.Source);
    }

    [Fact]
    public void Decide_TlsRequiredYesOrOther_ChangesNothing()
    {
        var requirement = TlsRequirement.Decide(Evaluator, "verify.test", Message("verify.test", tlsRequired: "Yes"), null, Mx);

        Assert.Equal((TlsLevel.Verify, FailureAction.Pickup, "policy verify.test"), (requirement.Level, requirement.OnFailure, requirement.Decision.Source));
    }

    [Fact]
    public void Decide_TlsRequiredNo_DoesNotUndoAForcedPickup()
    {
        var requirement = TlsRequirement.Decide(Evaluator, "honour.test", Message("honour.test", "[secure] x", tlsRequired: "No"), null, Mx);

        Assert.True(requirement.Decision.ForcePickup);
        Assert.Equal(FailureAction.Pickup, requirement.OnFailure);
        Assert.Equal("policy honour.test; rule 0 (subject contains [secure] → pickup)", requirement.Decision.Source);
    }

    [Fact]
    public void Decide_RequireTls_WinsOverTlsRequiredNo()
    {
        var requirement = TlsRequirement.Decide(Evaluator, "honour.test", Message("honour.test", requireTls: true, tlsRequired: "No"), null, Mx);

        Assert.Equal((TlsLevel.Verify, FailureAction.Pickup, true), (requirement.Level, requirement.OnFailure, requirement.Decision.RequireTls));
        Assert.Equal("policy honour.test; REQUIRETLS", requirement.Decision.Source);
    }

    [Fact]
    public void Decide_MtaStsEnforce_RaisesToVerify_AndAllowsOnlyTheNamedMx()
    {
        var requirement = TlsRequirement.Decide(Evaluator, Domain, Message(), Sts(MtaStsMode.Enforce), Mx);

        Assert.Equal(TlsLevel.Verify, requirement.Level);
        Assert.Equal(["mx1.partner.test"], requirement.AllowedMx);
        Assert.Null(requirement.MxFailure);
        Assert.Equal("policy default; MTA-STS enforce (id 20261125)", requirement.Decision.Source);
    }

    [Fact]
    public void Decide_MtaStsEnforce_KeepsAHigherLevel_AndComesAfterTheSendersRequest()
    {
        var requirement = TlsRequirement.Decide(Evaluator, "secure.test", Message("secure.test", requireTls: true), Sts(MtaStsMode.Enforce), Mx);

        Assert.Equal(TlsLevel.Secure, requirement.Level);
        Assert.Equal("policy secure.test; REQUIRETLS; MTA-STS enforce (id 20261125)", requirement.Decision.Source);
    }

    [Fact]
    public void Decide_MtaStsEnforce_NamingNoMx_IsAValidationFailure()
    {
        var requirement = TlsRequirement.Decide(Evaluator, Domain, null, Sts(MtaStsMode.Enforce, "*.other.test mx.other.test"), Mx);

        Assert.Empty(requirement.AllowedMx);
        Assert.Equal(
            new HostAttemptResult(DeliveryOutcome.TlsFailed, FailureReason.ValidationFailure, "no MX host of partner.test matches its MTA-STS policy (mx: *.other.test mx.other.test)", "5.7.10"),
            requirement.MxFailure);
        Assert.Equal("policy default; MTA-STS enforce (id 20261125)", requirement.Decision.Source);
    }

    [Theory]
    [InlineData(MessageKind.PickupNotice)]
    [InlineData(MessageKind.AccountNotice)]
    [InlineData(MessageKind.DeliveryStatusNotification)]
    [InlineData(MessageKind.ReadReceipt)]
    [InlineData(MessageKind.Submitted)]
    public void Decide_MtaStsEnforce_NamingNoMx_LetsNoKindGoToAnUnnamedMx(MessageKind kind)
    {
        // A notice carries the subject, the sender and a sign-in link: an MX the policy does not name may be an
        // attacker's, which is what MTA-STS is there to stop.
        var requirement = TlsRequirement.Decide(Evaluator, Domain, Message(kind: kind), Sts(MtaStsMode.Enforce, "mx.other.test"), Mx);

        Assert.Empty(requirement.AllowedMx);
        Assert.Equal(FailureReason.ValidationFailure, requirement.MxFailure?.Reason);
    }

    [Fact]
    public void Decide_MtaStsTesting_IsOnlyNoted()
    {
        var requirement = TlsRequirement.Decide(Evaluator, Domain, Message(), Sts(MtaStsMode.Testing, "mx.other.test"), Mx);

        Assert.Equal(TlsLevel.Encrypt, requirement.Level);
        Assert.Equal(Mx, requirement.AllowedMx);
        Assert.Null(requirement.MxFailure);
        Assert.Equal("policy default; MTA-STS testing (id 20261125), not enforced", requirement.Decision.Source);
    }

    [Fact]
    public void Decide_MtaStsNone_ChangesNothing()
    {
        var requirement = TlsRequirement.Decide(Evaluator, Domain, Message(), Sts(MtaStsMode.None, ""), Mx);

        Assert.Equal((TlsLevel.Encrypt, "policy default"), (requirement.Level, requirement.Decision.Source));
        Assert.Equal(Mx, requirement.AllowedMx);
    }

    [Theory]
    [InlineData(MessageKind.PickupNotice)]
    [InlineData(MessageKind.AccountNotice)]
    public void Decide_NoticeKinds_IgnoreRulesAndTheSendersRequests(MessageKind kind)
    {
        var requirement = TlsRequirement.Decide(Evaluator, "plain.test", Message("plain.test", "[secure] x", requireTls: true, tlsRequired: "No", kind: kind), null, Mx);

        Assert.Equal(new PolicyDecision(TlsLevel.Encrypt, FailureAction.DeliverPlain, TimeSpan.FromHours(4), false, "policy plain.test"), requirement.Decision);
    }

    [Theory]
    [InlineData(MessageKind.DeliveryStatusNotification)]
    [InlineData(MessageKind.ReadReceipt)]
    public void Decide_ReportKinds_IgnoreRulesAndTheSendersRequests_ButNeverTheirDeliverPlain(MessageKind kind)
    {
        var requirement = TlsRequirement.Decide(Evaluator, "plain.test", Message("plain.test", "[secure] x", requireTls: true, tlsRequired: "No", kind: kind), null, Mx);

        Assert.Equal((TlsLevel.Encrypt, FailureAction.Pickup, false), (requirement.Level, requirement.OnFailure, requirement.Decision.RequireTls));
        Assert.StartsWith("policy plain.test; deliver-plain applies only to submitted mail", requirement.Decision.Source);
    }

    [Fact]
    public void NoteMtaStsTesting_NamesWhatEnforcingWouldHaveFailed()
    {
        var decision = PolicyDecision.Default with { Source = "policy default; MTA-STS testing (id 1), not enforced" };
        TlsAttemptFacts[] attempts =
        [
            new("mx9.partner.test", DeliveredOverTls: false, VerifyPassed: false), // not delivered: not judged
            new("mx2.elsewhere.test", DeliveredOverTls: true, VerifyPassed: false),
            new("mx1.partner.test", DeliveredOverTls: true, VerifyPassed: false),
            new("mx2.elsewhere.test", DeliveredOverTls: true, VerifyPassed: false),
        ];

        var noted = TlsRequirement.NoteMtaStsTesting(decision, Sts(MtaStsMode.Testing), attempts);

        Assert.Equal(
            "policy default; MTA-STS testing (id 1), not enforced; enforcing it would have failed: mx2.elsewhere.test not named by the policy, "
            + "mx2.elsewhere.test certificate fails WebPKI validation, mx1.partner.test certificate fails WebPKI validation",
            noted.Source);
    }

    [Theory]
    [InlineData(MtaStsMode.Testing, true)]
    [InlineData(MtaStsMode.Testing, null)]
    [InlineData(MtaStsMode.Enforce, false)]
    [InlineData(MtaStsMode.None, false)]
    public void NoteMtaStsTesting_LeavesTheDecision_WhenNothingFailedOrNotTesting(MtaStsMode mode, bool? verifyPassed)
    {
        var decision = PolicyDecision.Default;

        var noted = TlsRequirement.NoteMtaStsTesting(decision, Sts(mode), [new("mx1.partner.test", true, verifyPassed)]);

        Assert.Same(decision, noted);
    }

    [Fact]
    public void NoteMtaStsTesting_WithoutAPolicy_LeavesTheDecision() =>
        Assert.Same(PolicyDecision.Default, TlsRequirement.NoteMtaStsTesting(PolicyDecision.Default, null, [new("mx", true, false)]));
}
