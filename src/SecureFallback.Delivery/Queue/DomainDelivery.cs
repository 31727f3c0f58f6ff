using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using SecureFallback.Core.Telemetry;
using SecureFallback.Data;
using SecureFallback.Delivery.Policies;
using SecureFallback.Delivery.Routing;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Queue;

/// <summary>
/// Delivers the due recipients of one domain: resolves the next hops once, then for each message tries the
/// hosts in order over mandatory TLS, reusing an open session for the following messages.
/// </summary>
internal sealed class DomainDelivery(
    IServiceScopeFactory scopeFactory,
    INextHopResolver resolver,
    IContentProtector protector,
    OutcomeRecorder recorder,
    SessionCache sessionCache,
    PolicyCatalog policies,
    MtaStsResolver mtaSts,
    DaneRecords dane,
    TrustedRoots trustedRoots,
    WriteGate writeGate,
    IOptions<InstanceOptions> instance,
    IOptions<DeliveryOptions> options,
    TimeProvider timeProvider,
    ILogger<DomainDelivery> logger)
{
    /// <summary>Addresses tried per host in one attempt, so a host with many addresses cannot eat the whole attempt.</summary>
    private const int MaxAddressesPerHost = 2;

    /// <summary>Messages whose envelopes are loaded, and whose claims are renewed, together.</summary>
    internal const int ChunkSize = 16;

    /// <summary>
    /// Deliveries a crash can leave unrecorded per connection, to be sent again: the one whose outcome is being
    /// committed and the one in hand.
    /// </summary>
    internal const int MostUnrecordedPerConnection = 2;

    /// <summary>Delivers <paramref name="due"/>, claimed at <paramref name="claimedAt"/>; the claim is renewed as it ages.</summary>
    public async Task DeliverAsync(string domain, IReadOnlyList<DueRecipient> due, DateTimeOffset claimedAt, CancellationToken cancellationToken)
    {
        using var activity = SecureFallbackMetrics.Activities.StartActivity("deliver domain");
        activity?.SetTag("securefallback.domain", domain);
        activity?.SetTag("securefallback.recipients", due.Count);
        var started = timeProvider.GetUtcNow();
        var evaluator = await policies.GetAsync(cancellationToken);
        var resolution = await resolver.ResolveAsync(domain, cancellationToken);
        var sts = resolution.Routed || resolution.Failure is not null ? null : await mtaSts.GetAsync(domain, cancellationToken);
        if (sts?.Mode == "enforce")
        {
            // RFC 8461 5: only MX hosts the policy names, and (below) only with a certificate valid for that host.
            var allowed = resolution.Hosts.Where(h => sts.AllowsMx(h.HostName)).ToList();
            resolution = allowed.Count > 0
                ? resolution with { Hosts = allowed }
                : NextHopResolution.Failed(DeliveryOutcome.TlsFailed, FailureReason.ValidationFailure, $"no MX host of {domain} matches its MTA-STS policy (mx: {sts.MxPatterns})", "5.7.10");
        }

        // Domains that share a next hop (one provider's MX, or one static route) share its cached session.
        var session = resolution.Hosts.Select(h => sessionCache.TryTake(SessionCache.KeyOf(h))).FirstOrDefault(s => s is not null);
        var recording = Task.CompletedTask;
        try
        {
            foreach (var claimedChunk in due.GroupBy(r => r.MessageId).Chunk(ChunkSize))
            {
                var chunk = claimedChunk;
                if (timeProvider.GetUtcNow() - claimedAt > options.Value.LeaseDuration / 3)
                {
                    (chunk, claimedAt) = await RenewClaimAsync(chunk, cancellationToken);
                    if (chunk.Length == 0)
                    {
                        continue; // every claim in it lapsed: another instance has these
                    }
                }

                if (resolution.Failure is { } failure)
                {
                    // Nothing was sent: the chunk is recorded at once.
                    var attempt = new AttemptRecord(domain, null, 0, failure, null, started);
                    await recorder.RecordAsync([.. chunk.Select(message => Unsent(message.Key, [.. message], attempt, WithMtaSts(evaluator.DomainPolicy(domain), sts)))]);
                    continue;
                }

                var envelopes = await LoadEnvelopesAsync(chunk.Select(m => m.Key).ToList(), cancellationToken);
                foreach (var message in chunk)
                {
                    (var outcome, session) = await DeliverMessageAsync(message, envelopes, resolution.Hosts, session, evaluator, sts, domain, started, cancellationToken);
                    // One outcome is committed while the next message goes out, and must be in before a third
                    // does: a crash forgets at most MostUnrecordedPerConnection deliveries, which are sent again
                    // (never lost), while the recorder still gathers the outcomes of all connections into few commits.
                    await recording;
                    recording = recorder.RecordAsync([outcome]);
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

    /// <summary>Sends one message to its recipients at <paramref name="domain"/>.</summary>
    /// <returns>The outcome to record, and the session to reuse for the next message.</returns>
    private async Task<(MessageOutcome Outcome, SecureSmtpSession? Session)> DeliverMessageAsync(
        IGrouping<Guid, DueRecipient> message,
        Dictionary<Guid, (string EnvelopeFrom, MessageKind Kind, bool RequireTls)> envelopes,
        IReadOnlyList<NextHop> hosts,
        SecureSmtpSession? session,
        PolicyEvaluator evaluator,
        MtaStsPolicy? sts,
        string domain,
        DateTimeOffset started,
        CancellationToken cancellationToken)
    {
        var recipients = message.ToList();
        // One message's content at a time, streamed from its sealed form: a chunk of large messages never sits
        // in memory all at once.
        using var prepared = await PrepareAsync(message.Key, envelopes, cancellationToken);
        if (prepared.Failure is { } loadFailure)
        {
            return (Unsent(message.Key, recipients, new("(local)", null, 0, loadFailure, null, started), evaluator.DomainPolicy(domain)), session);
        }

        var decision = WithMtaSts(Decide(evaluator, prepared, domain), sts);
        if (decision.ForcePickup)
        {
            // A rule wants the portal even though TLS may work: nothing is sent.
            var held = new HostAttemptResult(DeliveryOutcome.TlsFailed, FailureReason.PolicyPickup, $"held for secure pickup by {decision.Source}", "2.0.0");
            return (Unsent(message.Key, recipients, new("(policy)", null, 0, held, null, started, decision.Level), decision), session);
        }

        (var attempts, session) = await SendAsync(hosts, session, prepared.Message!, prepared.EnvelopeFrom, recipients, decision, domain, cancellationToken);
        if (prepared.Kind.MayTravelWithoutTls() || decision.OnFailure == FailureAction.DeliverPlain)
        {
            await SendOpportunisticallyIfTlsFailedAsync(hosts, prepared.Message!, prepared.EnvelopeFrom, recipients, attempts, cancellationToken);
        }

        return (new MessageOutcome(message.Key, attempts, NoteMtaStsTesting(decision, sts, attempts)), session);
    }

    /// <summary>The outcome of a message that was not sent: one attempt, the same for every recipient.</summary>
    private static MessageOutcome Unsent(Guid messageId, List<DueRecipient> recipients, AttemptRecord attempt, PolicyDecision decision) =>
        new(messageId, recipients.ToDictionary(r => r.Id, _ => new List<AttemptRecord> { attempt }), decision);

    /// <summary>
    /// Extends the claim on a chunk before it is sent, and drops what is no longer held: a claim that lapsed (a
    /// very slow run) may already be another instance's, and sending it here too would deliver it twice.
    /// </summary>
    private async Task<(IGrouping<Guid, DueRecipient>[] Held, DateTimeOffset RenewedAt)> RenewClaimAsync(IGrouping<Guid, DueRecipient>[] chunk, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        List<long> held;
        using (await writeGate.EnterAsync(cancellationToken))
        {
            held = await RecipientLeases.RenewAsync(db, [.. chunk.SelectMany(m => m).Select(r => r.Id)], instance.Value.InstanceName, now + options.Value.LeaseDuration, cancellationToken);
        }

        var stillHeld = held.ToHashSet();
        return ([.. chunk.SelectMany(m => m).Where(r => stillHeld.Contains(r.Id)).GroupBy(r => r.MessageId)], now);
    }

    private async Task<(Dictionary<long, List<AttemptRecord>> Attempts, SecureSmtpSession? Session)> SendAsync(
        IReadOnlyList<NextHop> hosts,
        SecureSmtpSession? session,
        MimeMessage message,
        string envelopeFrom,
        List<DueRecipient> recipients,
        PolicyDecision decision,
        string domain,
        CancellationToken cancellationToken)
    {
        var attempts = recipients.ToDictionary(r => r.Id, _ => new List<AttemptRecord>());
        var remaining = recipients;

        if (session is { IsUsable: true })
        {
            remaining = await SendOnSessionAsync(session, message, envelopeFrom, remaining, attempts, decision, domain, cancellationToken);
        }

        foreach (var hop in hosts)
        {
            foreach (var address in hop.Addresses.Take(MaxAddressesPerHost))
            {
                if (remaining.Count == 0)
                {
                    return (attempts, session);
                }

                var started = timeProvider.GetUtcNow();
                var check = new PeerCertificateCheck(trustedRoots.Certificates, timeProvider) { Tlsa = await TlsaOfAsync(hop, cancellationToken) };
                var (opened, failure) = await SecureSmtpSession.OpenAsync(hop, address, options.Value, check, timeProvider, cancellationToken);
                if (opened is null)
                {
                    foreach (var recipient in remaining)
                    {
                        attempts[recipient.Id].Add(new AttemptRecord(hop.HostName, address, hop.Port, failure!, null, started, decision.Level));
                    }

                    continue;
                }

                if (session is not null)
                {
                    await session.DisposeAsync();
                }

                session = opened;
                remaining = await SendOnSessionAsync(session, message, envelopeFrom, remaining, attempts, decision, domain, cancellationToken);
            }
        }

        return (attempts, session);
    }

    /// <summary>
    /// Recipients whose servers all failed TLS get the message opportunistically (TLS when offered, else clear) in
    /// two cases only: notices, which carry no content (without them the recipient would never learn there is a
    /// message to pick up), and the <c>deliver-plain</c> test mode, where the TLS failure stays in the audit trail.
    /// </summary>
    private async Task SendOpportunisticallyIfTlsFailedAsync(
        IReadOnlyList<NextHop> hosts, MimeMessage message, string envelopeFrom, List<DueRecipient> recipients, Dictionary<long, List<AttemptRecord>> attempts, CancellationToken cancellationToken)
    {
        var remaining = recipients.Where(r => RecipientOutcomeDecision.Decide(attempts[r.Id].Select(a => a.Result).ToList()).Outcome.IsTlsFailure()).ToList();
        foreach (var hop in hosts)
        {
            foreach (var address in hop.Addresses.Take(MaxAddressesPerHost))
            {
                if (remaining.Count == 0)
                {
                    return;
                }

                var started = timeProvider.GetUtcNow();
                var (results, tls) = await OpportunisticTransport.SendAsync(hop, address, message, envelopeFrom, remaining.Select(r => r.Address).ToList(), options.Value, cancellationToken);
                foreach (var recipient in remaining)
                {
                    attempts[recipient.Id].Add(new AttemptRecord(hop.HostName, address, hop.Port, results[recipient.Address], tls, started));
                }

                remaining = remaining.Where(r => results[r.Address].Reason == FailureReason.ConnectionFailed).ToList();
            }
        }
    }

    /// <returns>The recipients that still need another host because the connection broke.</returns>
    private async Task<List<DueRecipient>> SendOnSessionAsync(
        SecureSmtpSession session,
        MimeMessage message,
        string envelopeFrom,
        List<DueRecipient> recipients,
        Dictionary<long, List<AttemptRecord>> attempts,
        PolicyDecision decision,
        string domain,
        CancellationToken cancellationToken)
    {
        var started = timeProvider.GetUtcNow();
        var unmet = session.Certificate.Check(decision.Level, session.Hop.HostName, domain)
            ?? (decision.RequireTls && !session.SupportsRequireTls
                ? new HostAttemptResult(DeliveryOutcome.TlsFailed, FailureReason.RequireTlsNotSupported, $"{session.Hop.HostName} does not offer REQUIRETLS", "5.7.30")
                : null);
        if (unmet is not null)
        {
            // The session is fine for other mail, not for this message's level: nothing is sent, the next host may do.
            foreach (var recipient in recipients)
            {
                attempts[recipient.Id].Add(new AttemptRecord(session.Hop.HostName, session.Address, session.Hop.Port, unmet, session.Tls, started, decision.Level));
            }

            return recipients;
        }

        var shadow = new ShadowLevels(
            session.Certificate.Check(TlsLevel.Verify, session.Hop.HostName, domain) is null,
            session.Certificate.Check(TlsLevel.Secure, session.Hop.HostName, domain) is null);
        var results = await session.SendAsync(message, envelopeFrom, recipients.Select(r => r.Address).ToList(), decision.RequireTls, cancellationToken);
        var retryElsewhere = new List<DueRecipient>();
        foreach (var recipient in recipients)
        {
            var result = results[recipient.Address];
            attempts[recipient.Id].Add(new AttemptRecord(session.Hop.HostName, session.Address, session.Hop.Port, result, session.Tls, started, decision.Level, shadow));
            if (result.Reason == FailureReason.ConnectionFailed)
            {
                retryElsewhere.Add(recipient);
            }
        }

        return retryElsewhere;
    }

    private Task<IReadOnlyList<TlsaAssociation>> TlsaOfAsync(NextHop hop, CancellationToken cancellationToken) =>
        System.Net.IPAddress.TryParse(hop.HostName, out _) ? Task.FromResult<IReadOnlyList<TlsaAssociation>>([]) : dane.LookupAsync(hop.HostName, hop.Port, cancellationToken);

    /// <summary>
    /// Under an MTA-STS policy in <c>testing</c> mode, records in the decision what enforcing it would have done to a
    /// delivery that went through: an MX the policy does not name, or a certificate that fails WebPKI validation.
    /// </summary>
    private static PolicyDecision NoteMtaStsTesting(PolicyDecision decision, MtaStsPolicy? sts, Dictionary<long, List<AttemptRecord>> attempts)
    {
        if (sts?.Mode != "testing")
        {
            return decision;
        }

        var delivered = attempts.Values.SelectMany(a => a).Where(a => a.Result.Outcome == DeliveryOutcome.Delivered && a.Tls is not null).ToList();
        var problems = delivered.Where(a => !sts.AllowsMx(a.Host)).Select(a => $"{a.Host} not named by the policy")
            .Concat(delivered.Where(a => a.Shadow?.Verify == false).Select(a => $"{a.Host} certificate fails WebPKI validation"))
            .Distinct()
            .ToList();
        return problems.Count == 0 ? decision : decision with { Source = $"{decision.Source}; enforcing it would have failed: {string.Join(", ", problems)}" };
    }

    /// <summary>An enforced MTA-STS policy raises the level to at least <c>verify</c> (WebPKI, MX host name); testing is only noted.</summary>
    private static PolicyDecision WithMtaSts(PolicyDecision decision, MtaStsPolicy? sts) => sts?.Mode switch
    {
        "enforce" => decision with { Level = decision.Level > TlsLevel.Verify ? decision.Level : TlsLevel.Verify, Source = $"{decision.Source}; MTA-STS enforce (id {sts.PolicyId})" },
        "testing" => decision with { Source = $"{decision.Source}; MTA-STS testing (id {sts.PolicyId}), not enforced" },
        _ => decision,
    };

    /// <summary>
    /// The domain's policy, plus the first matching content rule for mail our clients submitted, plus what the sender
    /// asked for: REQUIRETLS (at least <c>verify</c>, never plain) wins over <c>TLS-Required: No</c> (RFC 8689 5),
    /// which asks for delivery even without TLS (like <c>deliver-plain</c>).
    /// </summary>
    private static PolicyDecision Decide(PolicyEvaluator evaluator, LoadedMessage prepared, string domain)
    {
        if (prepared.Kind != MessageKind.Submitted)
        {
            return evaluator.DomainPolicy(domain);
        }

        var decision = evaluator.Decide(new MessageFacts(prepared.Message!.Subject, name => prepared.Message.Headers[name], prepared.EnvelopeFrom, domain));
        if (prepared.RequireTls)
        {
            return decision with
            {
                Level = decision.Level > TlsLevel.Verify ? decision.Level : TlsLevel.Verify,
                OnFailure = decision.OnFailure == FailureAction.DeliverPlain ? FailureAction.Pickup : decision.OnFailure,
                RequireTls = true,
                Source = $"{decision.Source}; REQUIRETLS",
            };
        }

        return string.Equals(prepared.Message.Headers["TLS-Required"]?.Trim(), "No", StringComparison.OrdinalIgnoreCase) && !decision.ForcePickup
            ? decision with { Level = TlsLevel.Encrypt, OnFailure = FailureAction.DeliverPlain, Source = $"{decision.Source}; TLS-Required: No" }
            : decision;
    }

    private async Task<Dictionary<Guid, (string EnvelopeFrom, MessageKind Kind, bool RequireTls)>> LoadEnvelopesAsync(List<Guid> messageIds, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return await db.Messages.AsNoTracking().Where(m => messageIds.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => (m.EnvelopeFrom, m.Kind, m.RequireTls), cancellationToken);
    }

    private async Task<LoadedMessage> PrepareAsync(Guid id, Dictionary<Guid, (string EnvelopeFrom, MessageKind Kind, bool RequireTls)> envelopes, CancellationToken cancellationToken)
    {
        var (envelope, kind, requireTls) = envelopes.GetValueOrDefault(id, ("", MessageKind.Submitted, false));
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        Stream? stream = null;
        try
        {
            stream = await SealedContent.OpenAsync(db, protector, id, cancellationToken);
            if (stream is null)
            {
                return new LoadedMessage(null, null, envelope, kind, new HostAttemptResult(DeliveryOutcome.Permanent, "content-missing", "the queued content is missing", "5.3.0"));
            }

            // Persistent parsing keeps parts as views on the decrypting stream instead of copies; loading reads
            // the stream to its end, so every chunk is verified before a byte goes out.
            var message = await MimeMessage.LoadAsync(ParserOptions.Default, stream, persistent: true, cancellationToken);
            return new LoadedMessage(message, stream, envelope, kind, null) { RequireTls = requireTls };
        }
        catch (ContentTamperedException ex)
        {
            stream?.Dispose();
            DeliveryLog.ContentTampered(logger, id, ex);
            return new LoadedMessage(null, null, envelope, kind, new HostAttemptResult(DeliveryOutcome.Permanent, "content-tampered", "the queued content failed its integrity check and was not sent", "5.3.0"));
        }
        catch (FormatException ex)
        {
            stream?.Dispose();
            // MimeKit is lenient, so this is rare; a message that cannot be parsed must not block the queue.
            DeliveryLog.ContentUnreadable(logger, id, ex);
            return new LoadedMessage(null, null, envelope, kind, new HostAttemptResult(DeliveryOutcome.Permanent, "content-unparsable", "the message could not be parsed as MIME and was not sent", "5.6.0"));
        }
    }

    private sealed record LoadedMessage(MimeMessage? Message, Stream? Content, string EnvelopeFrom, MessageKind Kind, HostAttemptResult? Failure) : IDisposable
    {
        public bool RequireTls { get; init; }

        public void Dispose()
        {
            Message?.Dispose();
            Content?.Dispose();
        }
    }
}
