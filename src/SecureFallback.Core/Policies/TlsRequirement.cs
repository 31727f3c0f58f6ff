using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;

namespace SecureFallback.Core.Policies;

/// <summary>What one message asks of its delivery, besides what the recipient domain's policy asks.</summary>
/// <param name="Kind">Only <see cref="MessageKind.Submitted"/> mail is subject to content rules and sender requests.</param>
/// <param name="Facts">What content rules look at.</param>
/// <param name="RequireTls">The sender asked for REQUIRETLS (RFC 8689) in MAIL FROM.</param>
/// <param name="TlsRequiredHeader">The value of the <c>TLS-Required</c> header, or null when absent.</param>
public sealed record MessageTlsRequest(MessageKind Kind, MessageFacts Facts, bool RequireTls, string? TlsRequiredHeader);

/// <summary>One attempt of a delivery, as an MTA-STS policy in <c>testing</c> mode looks at it afterwards.</summary>
/// <param name="Host">The MX host it went to.</param>
/// <param name="DeliveredOverTls">The host accepted the recipient inside TLS.</param>
/// <param name="VerifyPassed">Whether the certificate would also have met <c>verify</c> (WebPKI), if that was judged.</param>
public sealed record TlsAttemptFacts(string Host, bool DeliveredOverTls, bool? VerifyPassed);

/// <summary>
/// Where TLS is decided, in one place and without I/O: the level a delivery must meet, what happens when it cannot,
/// which MX hosts it may use, and the decision as the audit trail records it.
/// </summary>
/// <param name="Decision">The decision, with its <see cref="PolicyDecision.Source"/> for the audit trail.</param>
/// <param name="AllowedMx">The MX hosts the delivery may use, in the order given.</param>
/// <param name="MxFailure">Why no MX host may be used (an enforced MTA-STS policy names none of them), else null.</param>
public sealed record TlsRequirement(PolicyDecision Decision, IReadOnlyList<string> AllowedMx, HostAttemptResult? MxFailure)
{
    /// <summary>The TLS level every host must meet.</summary>
    public TlsLevel Level => Decision.Level;

    /// <summary>What happens when no host meets <see cref="Level"/>.</summary>
    public FailureAction OnFailure => Decision.OnFailure;

    /// <summary>
    /// Decides for a message to <paramref name="domain"/>: the domain's policy; for mail our clients submitted, the
    /// first matching content rule and what the sender asked for — REQUIRETLS (at least <c>verify</c>, never plain)
    /// wins over <c>TLS-Required: No</c> (RFC 8689 5), which asks for delivery even without TLS (like
    /// <c>deliver-plain</c>) only where the domain's policy honours it and no rule forces pickup; then the domain's
    /// MTA-STS policy: <c>enforce</c> raises the level to at least <c>verify</c> and allows only the MX hosts it names
    /// (RFC 8461 5), for every kind of mail; <c>testing</c> is only noted.
    /// </summary>
    /// <param name="policies">The TLS policies and content rules in force.</param>
    /// <param name="domain">The recipient domain.</param>
    /// <param name="message">The message, or null to decide for the domain alone (as for mail that was never loaded).</param>
    /// <param name="mtaSts">The domain's MTA-STS policy, or null when it has none (or the mail is routed statically).</param>
    /// <param name="mxHosts">The domain's MX host names, in order.</param>
    public static TlsRequirement Decide(PolicyEvaluator policies, string domain, MessageTlsRequest? message, MtaStsPolicy? mtaSts, IReadOnlyList<string> mxHosts)
    {
        var decision = WithMtaSts(message is { Kind: MessageKind.Submitted } submitted ? ForSubmitted(policies, submitted) : policies.DomainPolicy(domain), mtaSts);
        if (message is not null && !message.Kind.MayFollowDeliverPlain() && !message.Kind.MayTravelWithoutTls() && decision.OnFailure == FailureAction.DeliverPlain)
        {
            // What we write (a portal reply, a DSN with PINs and links) is never sent in clear: it waits and is retried.
            decision = decision with { OnFailure = FailureAction.Pickup, Source = $"{decision.Source}; deliver-plain applies only to submitted mail, not to {message.Kind}" };
        }

        if (mtaSts?.Mode != MtaStsMode.Enforce)
        {
            return new TlsRequirement(decision, mxHosts, null);
        }

        var allowed = mxHosts.Where(mtaSts.AllowsMx).ToList();
        // Every kind, notices too: a notice names the sender and subject and carries a sign-in link, and an MX the
        // policy does not name may be an attacker's. A notice that cannot go waits like any transient failure
        // (RecipientStateMachine never holds generated mail), so no notice-of-a-notice loop can start.
        return allowed.Count > 0
            ? new TlsRequirement(decision, allowed, null)
            : new TlsRequirement(decision, [], HostAttemptResult.TlsFailed(FailureReason.ValidationFailure, $"no MX host of {domain} matches its MTA-STS policy (mx: {mtaSts.MxPatterns})"));
    }

    /// <summary>
    /// Under an MTA-STS policy in <c>testing</c> mode, adds to the decision what enforcing it would have done to a
    /// delivery that went through: an MX the policy does not name, or a certificate that fails WebPKI validation.
    /// </summary>
    /// <param name="decision">The decision the delivery was made under.</param>
    /// <param name="mtaSts">The domain's MTA-STS policy, or null.</param>
    /// <param name="attempts">Every attempt of the delivery, in the order made.</param>
    public static PolicyDecision NoteMtaStsTesting(PolicyDecision decision, MtaStsPolicy? mtaSts, IEnumerable<TlsAttemptFacts> attempts)
    {
        if (mtaSts?.Mode != MtaStsMode.Testing)
        {
            return decision;
        }

        var delivered = attempts.Where(a => a.DeliveredOverTls).ToList();
        var problems = delivered.Where(a => !mtaSts.AllowsMx(a.Host)).Select(a => $"{a.Host} not named by the policy")
            .Concat(delivered.Where(a => a.VerifyPassed == false).Select(a => $"{a.Host} certificate fails WebPKI validation"))
            .Distinct()
            .ToList();
        return problems.Count == 0 ? decision : decision with { Source = $"{decision.Source}; enforcing it would have failed: {string.Join(", ", problems)}" };
    }

    private static PolicyDecision ForSubmitted(PolicyEvaluator policies, MessageTlsRequest message)
    {
        var decision = policies.Decide(message.Facts);
        if (message.RequireTls)
        {
            return decision with
            {
                Level = decision.Level > TlsLevel.Verify ? decision.Level : TlsLevel.Verify,
                OnFailure = decision.OnFailure == FailureAction.DeliverPlain ? FailureAction.Pickup : decision.OnFailure,
                RequireTls = true,
                Source = $"{decision.Source}; REQUIRETLS",
            };
        }

        if (!string.Equals(message.TlsRequiredHeader?.Trim(), "No", StringComparison.OrdinalIgnoreCase) || decision.ForcePickup)
        {
            return decision;
        }

        // RFC 8689 5 leaves it to local policy: a relay client's header never overrides the admin's level unless the
        // domain's policy says so, and the audit trail records which way it went.
        return decision.HonourTlsRequiredNo
            ? decision with { Level = TlsLevel.Encrypt, OnFailure = FailureAction.DeliverPlain, Source = $"{decision.Source}; TLS-Required: No" }
            : decision with { Source = $"{decision.Source}; TLS-Required: No ignored (policy does not honour it)" };
    }

    private static PolicyDecision WithMtaSts(PolicyDecision decision, MtaStsPolicy? mtaSts) => mtaSts?.Mode switch
    {
        MtaStsMode.Enforce => decision with { Level = decision.Level > TlsLevel.Verify ? decision.Level : TlsLevel.Verify, Source = $"{decision.Source}; MTA-STS enforce (id {mtaSts.PolicyId})" },
        MtaStsMode.Testing => decision with { Source = $"{decision.Source}; MTA-STS testing (id {mtaSts.PolicyId}), not enforced" },
        _ => decision,
    };
}
