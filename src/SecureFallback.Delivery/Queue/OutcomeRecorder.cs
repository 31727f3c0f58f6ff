using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Core.Policies;
using SecureFallback.Core.Telemetry;
using SecureFallback.Data;

namespace SecureFallback.Delivery.Queue;

/// <summary>
/// Writes the result of one attempt for one message: recipient states, the audit records, the DSN-owed flag
/// (an outbox entry, committed in the same transaction) and, once nothing needs the content any more, its purge.
/// </summary>
internal sealed class OutcomeRecorder(
    IServiceScopeFactory scopeFactory,
    IOptions<DeliveryOptions> options,
    IOptions<PickupOptions> pickupOptions,
    IOptions<NoticeOptions> noticeOptions,
    WriteGate writeGate,
    TimeProvider timeProvider,
    SecureFallbackMetrics metrics,
    ILogger<OutcomeRecorder> logger)
{
    /// <summary>Records one attempt round for several messages in one transaction.</summary>
    public async Task RecordAsync(
        IReadOnlyDictionary<Guid, Dictionary<long, List<AttemptRecord>>> attemptsByMessage,
        IReadOnlyDictionary<Guid, PolicyDecision> decisions,
        CancellationToken cancellationToken)
    {
        var schedule = new RetrySchedule(options.Value.RetrySchedule);
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var ids = attemptsByMessage.Keys.ToList();
        var messages = await db.Messages.Include(m => m.Recipients).Where(m => ids.Contains(m.Id)).ToListAsync(cancellationToken);
        var now = timeProvider.GetUtcNow();
        var counted = new List<Action>();

        foreach (var message in messages)
        {
            var attemptsByRecipient = attemptsByMessage[message.Id];
            foreach (var recipient in message.Recipients.Where(r => attemptsByRecipient.ContainsKey(r.Id) && r.Status == RecipientStatus.Queued))
            {
                var attempts = attemptsByRecipient[recipient.Id];
                var decision = RecipientOutcomeDecision.Decide(attempts.Select(a => a.Result).ToList());
                var decidedBy = attempts.LastOrDefault(a => ReferenceEquals(a.Result, decision));
                var policy = decisions.GetValueOrDefault(message.Id) ?? PolicyDecision.Default;
                (recipient.PolicyLevel, recipient.PolicyAction, recipient.PolicySource) = (policy.Level, policy.OnFailure, Truncate(policy.Source, 512));
                (recipient.LeaseOwner, recipient.LeaseUntil) = (null, null); // attempted: the claim ends with its record
                Apply(message, recipient, decision, decidedBy, policy, now, schedule);
                counted.Add(MetricFor(message, recipient, decision, decidedBy));
                db.DeliveryAttempts.AddRange(attempts.Select(attempt => ToAuditRecord(message.Id, recipient.Id, attempt)));
                DeliveryLog.Outcome(logger, message.Id, recipient.Address, decision.Outcome, decidedBy?.Host ?? "-", decision.Reason ?? "ok", decision.Diagnostic);
            }
        }

        await db.UseRelaxedDurabilityAsync(cancellationToken);
        using var writing = await writeGate.EnterAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await ContentPurge.PurgeIfDoneAsync(db, messages, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        counted.ForEach(count => count()); // only what is committed is counted
    }

    private Action MetricFor(QueuedMessage message, QueuedRecipient recipient, HostAttemptResult decision, AttemptRecord? decidedBy)
    {
        var tlsFailure = decision.Outcome is DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed;
        var kind = message.Kind.ToString();
        Action status = recipient.Status switch
        {
            RecipientStatus.Delivered => () => metrics.Delivered(decidedBy?.Tls is not null, kind),
            RecipientStatus.HeldForPickup => () => metrics.Held(recipient.Reason),
            RecipientStatus.Failed => () => metrics.Bounced(recipient.Reason),
            _ => () => { }
            ,
        };
        return tlsFailure ? () => { metrics.TlsFailure(decision.Reason); status(); } : status;
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

    private void Apply(QueuedMessage message, QueuedRecipient recipient, HostAttemptResult decision, AttemptRecord? decidedBy, PolicyDecision policy, DateTimeOffset now, RetrySchedule schedule)
    {
        recipient.AttemptCount++;
        recipient.LastOutcome = decision.Outcome;
        recipient.Reason = decision.Reason;
        recipient.Diagnostic = Truncate(decision.Diagnostic, 1024);
        recipient.StatusCode = decision.StatusCode;
        recipient.RemoteHost = decidedBy?.Host;

        switch (decision.Outcome)
        {
            case DeliveryOutcome.Delivered:
                recipient.Status = RecipientStatus.Delivered;
                recipient.CompletedAt = now;
                if (decidedBy?.Tls is { } tls)
                {
                    recipient.Diagnostic = Truncate($"delivered over {tls.Protocol} ({tls.Cipher}); {decision.Diagnostic}", 1024);
                }
                else if (message.Kind == MessageKind.Submitted)
                {
                    recipient.Diagnostic = Truncate($"delivered WITHOUT TLS (deliver-plain test mode of {policy.Source}); {decision.Diagnostic}", 1024);
                }

                recipient.DsnPending = noticeOptions.Value.DeliveredOverTls && message.EnvelopeFrom.Length > 0;
                break;

            case DeliveryOutcome.Transient when now - message.ReceivedAt >= options.Value.MaxQueueTime:
                Fail(message, recipient, now);
                recipient.Reason = FailureReason.QueueExpired;
                recipient.StatusCode = "4.4.7";
                recipient.Diagnostic = Truncate($"gave up after {recipient.AttemptCount} attempts; last error: {decision.Diagnostic}", 1024);
                break;

            case DeliveryOutcome.Transient:
                recipient.NextAttemptAt = now + schedule.DelayAfter(recipient.AttemptCount);
                break;

            case DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed
                when policy.OnFailure == FailureAction.RetryThenPickup && !policy.ForcePickup && now - message.ReceivedAt < policy.RetryTlsFor:
                // TLS may come back (a certificate renewed, a server fixed): keep trying for the set time first.
                recipient.NextAttemptAt = now + schedule.DelayAfter(recipient.AttemptCount);
                break;

            case DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed when policy.ForcePickup || policy.OnFailure != FailureAction.Bounce:
                // Nothing is ever sent in clear: the encrypted copy stays, for the recipient to pick up.
                recipient.Status = RecipientStatus.HeldForPickup;
                recipient.HoldUntil = now + pickupOptions.Value.Retention;
                recipient.StatusCode = "2.0.0";
                recipient.DsnPending = message.EnvelopeFrom.Length > 0;
                recipient.PickupNoticePending = true;
                break;

            case DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed:
                // Policy "bounce": nothing is sent in clear; the sender is told, with 5.7.10 "encryption needed"
                // (5.7.30 when a REQUIRETLS message found no next hop offering REQUIRETLS).
                Fail(message, recipient, now);
                recipient.StatusCode = decision.Reason == FailureReason.RequireTlsNotSupported ? "5.7.30" : "5.7.10";
                break;

            default:
                Fail(message, recipient, now);
                break;
        }
    }

    private static void Fail(QueuedMessage message, QueuedRecipient recipient, DateTimeOffset now)
    {
        recipient.Status = RecipientStatus.Failed;
        recipient.CompletedAt = now;
        // Never a DSN to the null sender (RFC 5321 4.5.5): that is how bounce loops start.
        recipient.DsnPending = message.EnvelopeFrom.Length > 0;
    }

    private static string? Truncate(string? text, int length) =>
        text is null || text.Length <= length ? text : text[..length];
}

/// <summary>Deletes a message's sealed content once every recipient is final and no DSN still needs its headers.</summary>
internal static class ContentPurge
{
    /// <summary>Call inside the transaction that changed the recipients, after saving them.</summary>
    public static async Task PurgeIfDoneAsync(SecureFallbackDbContext db, IReadOnlyList<QueuedMessage> messages, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var candidates = messages.Where(m => m.ContentPurgedAt is null).Select(m => m.Id).ToList();
        if (candidates.Count == 0)
        {
            return;
        }

        // Judged from the database, not from the loaded rows: another delivery task or instance may have settled
        // the message's other recipients meanwhile. With instances on PostgreSQL, two may settle the last two
        // recipients at once, each seeing the other's as still open; locking the message rows makes the later
        // one wait for the earlier one's commit and see it.
        await MessageLocks.LockAsync(db, candidates, cancellationToken);
        var done = await db.Messages
            .Where(m => candidates.Contains(m.Id) && m.Recipients.All(r => r.Status != RecipientStatus.Queued && r.Status != RecipientStatus.HeldForPickup && !r.DsnPending))
            .Select(m => m.Id)
            .ToListAsync(cancellationToken);
        if (done.Count == 0)
        {
            return;
        }

        // Deleting the row deletes the wrapped data key with the ciphertext: the content is crypto-shredded.
        await db.MessageContents.Where(c => done.Contains(c.MessageId)).ExecuteDeleteAsync(cancellationToken);
        messages.Where(m => done.Contains(m.Id)).ToList().ForEach(m => m.ContentPurgedAt = now);
        await db.SaveChangesAsync(cancellationToken);
    }
}
