using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using SecureFallback.Core.Telemetry;
using SecureFallback.Data.Queue;
using SecureFallback.Delivery.Outcomes;
using SecureFallback.Delivery.Policies;
using SecureFallback.Delivery.Routing;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Queue;

/// <summary>
/// Delivers the due recipients of one domain: resolves the next hops once, then for each message decides its TLS
/// requirement and has the hosts tried in order over mandatory TLS, reusing an open session for the following messages.
/// </summary>
internal sealed class DomainDelivery(
    INextHopResolver resolver,
    QueuedContentLoader loader,
    HostDialer dialer,
    OutcomeRecorder recorder,
    SessionCache sessionCache,
    PolicyCatalog policies,
    MtaStsResolver mtaSts,
    IQueueLeases leases,
    IOptions<DeliveryOptions> options,
    TimeProvider timeProvider,
    ILogger<LeaseKeeper> logger)
{
    /// <summary>Messages whose envelopes are loaded together.</summary>
    internal const int ChunkSize = 16;

    /// <summary>
    /// Deliveries a crash can leave unrecorded per connection, to be sent again: the one whose outcome is being
    /// committed and the one in hand.
    /// </summary>
    internal const int MostUnrecordedPerConnection = 2;

    /// <summary>Delivers <paramref name="due"/>, claimed at <paramref name="claimedAt"/>; the claims are kept while the run works.</summary>
    public async Task DeliverAsync(string domain, IReadOnlyList<DueRecipient> due, DateTimeOffset claimedAt, CancellationToken cancellationToken)
    {
        using var activity = SecureFallbackMetrics.Activities.StartActivity("deliver domain")?.SetTag("securefallback.domain", domain).SetTag("securefallback.recipients", due.Count);
        var started = timeProvider.GetUtcNow();
        // From the start (lookups can be slow too) until the last outcome is in: disposed after the recording.
        await using var keeper = new LeaseKeeper(leases, domain, due.Select(r => r.Id), claimedAt, options.Value.LeaseDuration, timeProvider, logger);
        var evaluator = await policies.GetAsync(cancellationToken);
        var resolution = await resolver.ResolveAsync(domain, cancellationToken);
        var sts = resolution.Routed || resolution.Failure is not null ? null : await mtaSts.GetAsync(domain, cancellationToken);
        // For the domain alone: which MX hosts may be used at all (RFC 8461 5), and the decision recorded if none.
        var forDomain = TlsRequirement.Decide(evaluator, domain, null, sts, [.. resolution.Hosts.Select(h => h.HostName)]);
        // When the policy names none of them, each message's own requirement says whether it may go at all.
        resolution = forDomain.MxFailure is null ? resolution.Allowing(forDomain) : resolution;

        var run = new DomainRun(domain, evaluator, sts, resolution.Hosts, started, resolution.Routed);
        // Domains that share a next hop (one provider's MX, or one static route) share its cached session.
        var session = resolution.Hosts.Select(h => sessionCache.TryTake(SessionCache.KeyOf(h))).FirstOrDefault(s => s is not null);
        var recording = Task.CompletedTask;
        // Commits wait a moment for the outcome of a message this connection is sending (OutcomeRecorder).
        using var sender = recorder.JoinSenders();
        try
        {
            foreach (var claimedChunk in due.GroupBy(r => r.MessageId).Chunk(ChunkSize))
            {
                var chunk = keeper.Held(claimedChunk);
                if (chunk.Length == 0)
                {
                    continue; // every claim in it lapsed: another instance may have these
                }

                if (resolution.Failure is { } failure)
                {
                    // Nothing was sent: the chunk is recorded at once.
                    var attempt = new AttemptRecord(domain, null, 0, failure, null, started);
                    await recorder.RecordAsync([.. chunk.Select(message => Unsent(message.Key, [.. message], attempt, forDomain.Decision))]);
                    continue;
                }

                var envelopes = await loader.LoadEnvelopesAsync(chunk.Select(m => m.Key).ToList(), cancellationToken);
                foreach (var inChunk in chunk)
                {
                    // Checked again before each message: a claim can lapse while earlier ones are sent.
                    if (keeper.Held([inChunk]) is not [var message])
                    {
                        continue;
                    }

                    sender.Working();
                    (var outcome, session) = await DeliverMessageAsync(message, envelopes.GetValueOrDefault(message.Key, QueuedEnvelope.Missing), run, session, cancellationToken);
                    // One outcome is committed while the next message goes out, and must be in before a third
                    // does: a crash forgets at most MostUnrecordedPerConnection deliveries, which are sent again
                    // (never lost), while the recorder still gathers the outcomes of all connections into few commits.
                    await recording;
                    recording = recorder.RecordAsync(outcome, sender);
                }
            }

            await recording;
        }
        finally
        {
            // After a failure, the outcome in hand is still recorded (its own error, if any, is the recorder's).
            await recording.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (session is not null)
            {
                await sessionCache.ReturnAsync(SessionCache.KeyOf(session.Hop), session);
            }
        }
    }

    /// <summary>Sends one message to its recipients at the run's domain.</summary>
    /// <returns>The outcome to record, and the session to reuse for the next message.</returns>
    private async Task<(MessageOutcome Outcome, SecureSmtpSession? Session)> DeliverMessageAsync(
        IGrouping<Guid, DueRecipient> message, QueuedEnvelope envelope, DomainRun run, SecureSmtpSession? session, CancellationToken cancellationToken)
    {
        var recipients = message.ToList();
        // One message's content at a time, streamed from its sealed form.
        using var loaded = await loader.LoadAsync(message.Key, envelope, cancellationToken);
        if (loaded.Failure is { } loadFailure)
        {
            return (Unsent(message.Key, recipients, new("(local)", null, 0, loadFailure, null, run.Started), run.Evaluator.DomainPolicy(run.Domain)), session);
        }

        var requirement = TlsRequirement.Decide(run.Evaluator, run.Domain, loaded.TlsRequest(run.Domain), run.Sts, [.. run.Hosts.Select(h => h.HostName)]);
        var decision = requirement.Decision;
        if (requirement.MxFailure is { } noMx)
        {
            // An enforced MTA-STS policy names none of the MX hosts: nothing is sent.
            return (Unsent(message.Key, recipients, new(run.Domain, null, 0, noMx, null, run.Started, decision.Level), decision) with { Domain = run.Routed ? null : run.Domain, Sts = run.Sts }, session);
        }

        if (decision.ForcePickup)
        {
            // A rule wants the portal even though TLS may work: nothing is sent.
            var held = HostAttemptResult.PolicyPickup(decision.Source);
            return (Unsent(message.Key, recipients, new("(policy)", null, 0, held, null, run.Started, decision.Level), decision), session);
        }

        (var attempts, session) = await dialer.SendAsync(run.Hosts, session, loaded.Message!, loaded.EnvelopeFrom, recipients, decision, run.Domain, cancellationToken);
        // A held copy tried again goes over TLS or not at all: it was held because clear was not allowed.
        var mayGoInClear = recipients.Where(r => !r.AfterHold).ToList();
        await dialer.SendOpportunisticallyIfTlsFailedAsync(loaded.Kind, decision.OnFailure, run.Hosts, loaded.Message!, loaded.EnvelopeFrom, mayGoInClear, attempts, cancellationToken);
        var facts = attempts.Values.SelectMany(a => a).Select(a => new TlsAttemptFacts(a.Host, a.Result.Outcome == DeliveryOutcome.Delivered && a.Tls is not null, a.Shadow?.Verify));
        // Not counted for the TLS report: a statically routed domain (the relay we were told to use is not its MX),
        // and the sessions of TLS reports themselves (RFC 8460 3: SHOULD NOT, lest failures feed more reports).
        var reported = run.Routed || loaded.Kind == MessageKind.TlsReport ? null : run.Domain;
        return (new MessageOutcome(message.Key, attempts, TlsRequirement.NoteMtaStsTesting(decision, run.Sts, facts), reported, run.Sts), session);
    }

    /// <summary>The outcome of a message that was not sent: one attempt, the same for every recipient.</summary>
    private static MessageOutcome Unsent(Guid messageId, List<DueRecipient> recipients, AttemptRecord attempt, PolicyDecision decision) =>
        new(messageId, recipients.ToDictionary(r => r.Id, _ => new List<AttemptRecord> { attempt }), decision);

    /// <summary>What the messages of one run to a domain share: its policies, next hops and the start of the attempt.</summary>
    private sealed record DomainRun(string Domain, PolicyEvaluator Evaluator, MtaStsPolicy? Sts, IReadOnlyList<NextHop> Hosts, DateTimeOffset Started, bool Routed);
}
