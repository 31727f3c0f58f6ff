using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Concurrency;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Core.Policies;
using SecureFallback.Core.Telemetry;
using SecureFallback.Data;
using SecureFallback.Data.Writes;
using SecureFallback.Delivery.Queue;

namespace SecureFallback.Delivery.Outcomes;

/// <summary>
/// Writes the result of one attempt for one message: recipient states, the audit records, the DSN-owed flag
/// (an outbox entry, committed in the same transaction) and, once nothing needs the content any more, its purge.
/// </summary>
internal sealed class OutcomeRecorder
{
    /// <summary>Messages one transaction records at most; more wait for the next.</summary>
    private const int MaxMessagesPerCommit = 64;

    /// <summary>
    /// How long a commit waits at most for the outcomes of other connections that are sending a message right now
    /// (<see cref="CommitSiblings"/>): a commit has a large fixed cost, and with one connection per commit most of
    /// the CPU per delivered message went into it. The waiting connection sends its next message meanwhile.
    /// </summary>
    private static readonly TimeSpan GatherAtMost = TimeSpan.FromMilliseconds(5);

    /// <summary>A send that has taken longer than this (a slow receiver) is not waited for.</summary>
    private static readonly TimeSpan QuickSend = TimeSpan.FromMilliseconds(20);

    /// <summary>The recipients named, each with its message, untracked.</summary>
    private static readonly PerModel<Func<SecureFallbackDbContext, List<long>, IAsyncEnumerable<QueuedRecipient>>> RecipientsWithMessages = new(() =>
        EF.CompileAsyncQuery((SecureFallbackDbContext db, List<long> ids) => db.Recipients.AsNoTracking().Include(r => r.Message).Where(r => ids.Contains(r.Id))));

    private readonly IServiceScopeFactory _scopeFactory;
    private readonly IOptions<DeliveryOptions> _options;
    private readonly IOptions<PickupOptions> _pickupOptions;
    private readonly IOptions<NoticeOptions> _noticeOptions;
    private readonly IOptions<InstanceOptions> _instance;
    private readonly TimeProvider _timeProvider;
    private readonly SecureFallbackMetrics _metrics;
    private readonly ILogger<OutcomeRecorder> _logger;
    private readonly GroupCommit<HandedIn> _commits;
    private readonly CommitSiblings _senders;
    private readonly IOptions<Reports.TlsReportOptions> _tlsReports;

    public OutcomeRecorder(
        IServiceScopeFactory scopeFactory,
        IOptions<DeliveryOptions> options,
        IOptions<PickupOptions> pickupOptions,
        IOptions<NoticeOptions> noticeOptions,
        IOptions<InstanceOptions> instance,
        IOptions<Reports.TlsReportOptions> tlsReports,
        TimeProvider timeProvider,
        SecureFallbackMetrics metrics,
        ILogger<OutcomeRecorder> logger)
    {
        _tlsReports = tlsReports;
        (_scopeFactory, _options, _pickupOptions, _noticeOptions, _instance) = (scopeFactory, options, pickupOptions, noticeOptions, instance);
        (_timeProvider, _metrics, _logger) = (timeProvider, metrics, logger);
        // A pause of the machine, not a due time: the system's monotonic clock, so neither a frozen clock (a test's)
        // nor a wall clock stepped back can hold a commit longer than a moment.
        _senders = new CommitSiblings(TimeProvider.System, GatherAtMost, QuickSend);
        _commits = new GroupCommit<HandedIn>(CommitHandedInAsync, MaxMessagesPerCommit, _senders.GatherAsync);
    }

    /// <summary>
    /// A delivery connection's place among the senders: it says when it sends a message
    /// (<see cref="CommitSiblings.Producer.Working"/>) and hands the outcome to
    /// <see cref="RecordAsync(MessageOutcome, CommitSiblings.Producer)"/>, so commits wait a moment for it; disposing it leaves.
    /// </summary>
    public CommitSiblings.Producer JoinSenders() => _senders.Join();

    /// <summary>
    /// Records <paramref name="outcomes"/> and returns once they are committed. Each delivery calls this right
    /// after the receiver's reply, so a crash can forget (and later repeat) at most the delivery in hand per
    /// connection; outcomes that arrive together from several connections share one transaction.
    /// </summary>
    public Task RecordAsync(IReadOnlyList<MessageOutcome> outcomes) => _commits.CommitAsync([.. outcomes.Select(o => new HandedIn(o, null))]);

    /// <summary>Records the outcome of the message <paramref name="sender"/> sent; returns once it is committed.</summary>
    public Task RecordAsync(MessageOutcome outcome, CommitSiblings.Producer sender)
    {
        sender.HandedIn();
        return _commits.CommitAsync([new HandedIn(outcome, sender)]);
    }

    private async Task CommitHandedInAsync(IReadOnlyList<HandedIn> handedIn)
    {
        try
        {
            await CommitAsync([.. handedIn.Select(h => h.Outcome)]);
        }
        finally
        {
            // Before the next commit gathers: these senders wait for nothing now, so it may wait for them.
            foreach (var sender in handedIn.Select(h => h.Sender).OfType<CommitSiblings.Producer>())
            {
                sender.Committed();
            }
        }
    }

    private async Task CommitAsync(IReadOnlyList<MessageOutcome> outcomes)
    {
        var rules = new QueueRules(_options.Value.MaxQueueTime, _pickupOptions.Value.Retention, new RetrySchedule(_options.Value.RetrySchedule), _noticeOptions.Value.DeliveredOverTls);
        await using var scope = _scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        List<long> ids = [.. outcomes.SelectMany(o => o.Attempts.Keys).Distinct()];
        var now = _timeProvider.GetUtcNow();
        var counted = new List<Action>();
        var backOnHold = new List<long>();
        var audit = new List<DeliveryAttempt>();
        var recorded = new List<QueuedRecipient>();

        await using var write = await db.BeginWriteAsync(WriteDurability.Relaxed, CancellationToken.None);
        // Only the holder of a recipient's claim changes its state, and the claims stay ours until this commit: on
        // PostgreSQL they are locked first and the rows read after that, so the states seen are current; on SQLite
        // this write is the only writer, and the rows read say who holds each claim. They are read untracked: the
        // state machine changes them in memory, and their new states are written set-based (RecipientOutcomeWrite).
        var held = await write.LeasesHeldAsync(ids, _instance.Value.InstanceName, CancellationToken.None);
        var recipients = await RecipientsWithMessages.For(db)(db, ids).ToDictionaryAsync(r => r.Id);

        held ??= DatabaseWrite.ClaimsHeld(recipients.Values, _instance.Value.InstanceName);

        // One message may come twice, from the tasks of two of its recipient domains: each names its own recipients.
        foreach (var outcome in outcomes)
        {
            var policy = outcome.Decision;
            foreach (var (id, attempts) in outcome.Attempts.OrderBy(a => a.Key))
            {
                if (!recipients.TryGetValue(id, out var recipient) || recipient.MessageId != outcome.MessageId)
                {
                    continue; // gone with its message
                }

                var message = recipient.Message!;
                var decision = RecipientOutcomeDecision.Decide(attempts.Select(a => a.Result).ToList());
                var decidedBy = attempts.LastOrDefault(a => ReferenceEquals(a.Result, decision));
                // What was sent is audited whoever holds the recipient now: the admin sees every copy that went out.
                audit.AddRange(attempts.Select(attempt => ToAuditRecord(message.Id, recipient.Id, attempt)));
                if (!held.Contains(recipient.Id))
                {
                    // Our claim lapsed (renewals failed for a whole LeaseDuration: the database was out of reach) and
                    // another instance took the recipient, or already settled it. Its record alone decides the
                    // state. If ours says Delivered, the recipient may get the message twice: our copy was accepted
                    // and the holder sends its own. That cannot be called back; what matters is that the state,
                    // the DSN and the notices come from one owner only, so nothing is counted or reported twice.
                    DeliveryLog.OutcomeNotApplied(_logger, message.Id, recipient.Address, decision.Outcome, recipient.LeaseOwner ?? "-");
                    continue;
                }

                if (recipient.Status != RecipientStatus.Queued)
                {
                    continue;
                }

                recipient.RecordAttempt(new RecipientAttempt(decision, decidedBy?.Host, decidedBy?.Tls?.Protocol, decidedBy?.Tls?.Cipher), policy, rules, now);
                recorded.Add(recipient);
                if (recipient.Status == RecipientStatus.HeldForPickup)
                {
                    backOnHold.Add(recipient.Id); // after a retry of TLS (or an admin's retry of one): its portal copy opens again
                }

                counted.Add(MetricFor(message, recipient, decision, decidedBy));
                DeliveryLog.Outcome(_logger, message.Id, recipient.Address, decision.Outcome, decidedBy?.Host ?? "-", decision.Reason ?? "ok", decision.Diagnostic);
            }
        }

        if (backOnHold.Count > 0)
        {
            await db.PickupGrants.Where(g => backOnHold.Contains(g.RecipientId) && g.RedeliveryClaimedAt != null)
                .ExecuteUpdateAsync(s => s.SetProperty(g => g.RedeliveryClaimedAt, (DateTimeOffset?)null));
        }

        await write.InsertAllAsync(audit, CancellationToken.None);
        await write.UpdateAllAsync(recorded, RecipientOutcomeWrite.Columns, CancellationToken.None);
        // The TLS report's counts ride along in the same commit (no write of their own), in a savepoint: should they
        // fail, the outcomes still commit. Counting what happened on the wire needs no claim.
        if (_tlsReports.Value.Enabled
            && await write.TryAddTlsSessionCountsAsync(Reports.TlsSessionTally.Of(outcomes), CancellationToken.None) is { } notCounted)
        {
            Reports.TlsReportLog.CountsNotRecorded(_logger, notCounted.Message);
        }

        await write.PurgeSettledContentAsync([.. recipients.Values.Select(r => r.Message!).DistinctBy(m => m.Id)], now, CancellationToken.None);
        await write.CommitAsync();
        counted.ForEach(count => count()); // only what is committed is counted
    }

    private Action MetricFor(QueuedMessage message, QueuedRecipient recipient, HostAttemptResult decision, AttemptRecord? decidedBy)
    {
        var tlsFailure = decision.Outcome is DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed;
        var kind = message.Kind.ToString();
        Action status = recipient.Status switch
        {
            RecipientStatus.Delivered => () => _metrics.Delivered(decidedBy?.Tls is not null, kind),
            RecipientStatus.HeldForPickup => () => _metrics.Held(recipient.Reason),
            RecipientStatus.Failed => () => _metrics.Bounced(recipient.Reason),
            _ => () => { }
            ,
        };
        return tlsFailure ? () => { _metrics.TlsFailure(decision.Reason); status(); } : status;
    }

    private static DeliveryAttempt ToAuditRecord(Guid messageId, long recipientId, AttemptRecord attempt) => new()
    {
        RecipientId = recipientId,
        MessageId = messageId,
        StartedAt = attempt.StartedAt,
        Host = attempt.Host,
        IpAddress = attempt.Address?.ToString(),
        Port = attempt.Port,
        Outcome = attempt.Result.Outcome,
        Reason = attempt.Result.Reason,
        TlsProtocol = attempt.Tls?.Protocol,
        TlsCipher = attempt.Tls?.Cipher,
        CertificateSubject = Truncate(attempt.Tls?.CertificateSubject, 1024),
        CertificateSha256 = attempt.Tls?.CertificateSha256,
        SmtpReply = Truncate(attempt.Result.Diagnostic, 1024),
        RequiredLevel = attempt.RequiredLevel,
        MeetsVerify = attempt.Shadow?.Verify,
        MeetsSecure = attempt.Shadow?.Secure,
    };

    private static string? Truncate(string? text, int length) =>
        text is null || text.Length <= length ? text : text[..length];

    /// <summary>An outcome waiting for its commit, and the sender to tell when it is in.</summary>
    private sealed record HandedIn(MessageOutcome Outcome, CommitSiblings.Producer? Sender);
}

/// <summary>One message's attempt round at one domain: the attempts per recipient, and the policy that governed them.</summary>
/// <param name="MessageId">The message.</param>
/// <param name="Attempts">The attempts per recipient id.</param>
/// <param name="Decision">The policy that governed them.</param>
/// <param name="Domain">
/// The recipient domain (the TLS report's policy domain); null where none applies, so its sessions are not counted:
/// a statically routed domain (our relay is not its MX) and TLS report mail itself (RFC 8460 3).
/// </param>
/// <param name="Sts">The domain's MTA-STS policy in force, if any (the TLS report's <c>sts</c> policy).</param>
internal sealed record MessageOutcome(Guid MessageId, Dictionary<long, List<AttemptRecord>> Attempts, PolicyDecision Decision, string? Domain = null, MtaStsPolicy? Sts = null);
