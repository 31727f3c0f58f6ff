using SecureFallback.Core.Delivery;
using SecureFallback.Core.Policies;

namespace SecureFallback.Core.Messages;

/// <summary>
/// What can happen to a recipient: every state change of <see cref="QueuedRecipient"/> is one of these methods.
/// <code>
/// Queued ── RecordAttempt ──► Deliver       ► Delivered       (final; DSN only when delivery reports are on)
///                             ScheduleRetry ► Queued          (transient, or TLS failure under retry-then-pickup)
///                             GiveUp        ► Failed  4.4.7   (transient past the maximum queue time; DSN)
///                             (mail we generate — notices, DSNs, read receipts — is never held nor bounced: a TLS
///                             failure is retried like a transient one, then GiveUp, with no DSN: it is from &lt;&gt;, or a portal reply)
///                             HoldForPickup ► HeldForPickup   (TLS failure, or a rule forcing pickup; DSN + notice)
///                             Bounce        ► Failed  5.7.10 / 5.7.30 (TLS failure under policy "bounce"; DSN)
///                             Fail          ► Failed          (permanent answer; DSN)
/// Queued, HeldForPickup ── Requeue (admin retry) ──► Queued
/// Queued, HeldForPickup ── DeleteByAdmin ──────────► Failed 5.3.0 (DSN)
/// HeldForPickup ── ExpireHold (HoldUntil passed) ──► PickupExpired (final; DSN only when never read)
/// HeldForPickup ── LockPickup ("this was not me") ──► HeldForPickup, locked: opens for nobody (report to the sender)
/// HeldForPickup, locked ── UnlockPickup (the admin removed the disowned account) ──► HeldForPickup
/// HeldForPickup, unread ── RetryTlsAfterHold ──► Queued, over TLS only; its attempt then ends in
///                             Deliver ► Delivered (DSN "delivered")   or   ReturnToHold ► HeldForPickup (nothing owed)
/// HeldForPickup ── Revoke (the sender's link, or an admin) ──► Revoked (final; confirmation to the sender)
/// HeldForPickup ── ExtendHold (the sender's link, or an admin) ──► HeldForPickup, HoldUntil later
/// </code>
/// Delivered, Failed, PickupExpired and Revoked are final. Two outbox flags go with the transitions and are committed with
/// them: <see cref="QueuedRecipient.DsnPending"/> (cleared by <see cref="QueuedRecipient.DsnQueued"/>) and
/// <see cref="QueuedRecipient.PickupNoticePending"/> (cleared by <see cref="QueuedRecipient.PickupNoticeQueued"/>).
/// A report is never owed to the null sender, nor for a portal reply (<see cref="QueuedMessage.SenderGetsReports"/>). Recording an attempt, and
/// any transition that may owe a report, reads the message (sender, kind, age) from <see cref="QueuedRecipient.Message"/>,
/// which must then be loaded. Every transition checks before it changes anything, and throws
/// <see cref="InvalidOperationException"/> when called from a state it does not start from (the attempt transitions
/// throw <see cref="ArgumentException"/> for an attempt whose outcome does not lead to them).
/// </summary>
public sealed partial class QueuedRecipient
{
    /// <summary>Stored length of <see cref="Diagnostic"/>.</summary>
    public const int DiagnosticLength = 1024;

    private const int PolicySourceLength = 512;

    /// <summary>
    /// Records one round of attempts and takes the transition its decided outcome and the policy call for.
    /// The policy is kept for the audit trail; the claim on the recipient ends.
    /// </summary>
    /// <param name="attempt">The deciding attempt of the round.</param>
    /// <param name="policy">The policy that governed the round.</param>
    /// <param name="rules">Queue time, pickup retention, retry schedule and delivery reports.</param>
    /// <param name="now">The time of the record.</param>
    /// <exception cref="InvalidOperationException">The recipient is not <see cref="RecipientStatus.Queued"/>, or its message is not loaded.</exception>
    public void RecordAttempt(RecipientAttempt attempt, PolicyDecision policy, QueueRules rules, DateTimeOffset now)
    {
        RequireStatus(nameof(RecordAttempt), RecipientStatus.Queued);
        (PolicyLevel, PolicyAction, PolicySource) = (policy.Level, policy.OnFailure, Truncate(policy.Source, PolicySourceLength));
        if (RetryingTlsAfterHold)
        {
            RecordRetryAfterHold(attempt, now);
            return;
        }

        var queuedFor = now - LoadedMessage.ReceivedAt;
        switch (attempt.Result.Outcome)
        {
            case DeliveryOutcome.Delivered:
                Deliver(attempt, policy.Source, rules.ReportDelivered, now);
                break;

            case DeliveryOutcome.Transient when queuedFor >= rules.MaxQueueTime:
                GiveUp(attempt, now);
                break;

            case DeliveryOutcome.Transient:
                ScheduleRetry(attempt, rules.Retry, now);
                break;

            case DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed when !LoadedMessage.Kind.MayBeHeldForPickup() && queuedFor >= rules.MaxQueueTime:
                // Mail we generate that never got the TLS it needs ends like a transient failure (from <>: no DSN).
                GiveUp(attempt, now);
                break;

            case DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed when !LoadedMessage.Kind.MayBeHeldForPickup():
                // Never held (its own notice would be held in turn, forever) nor bounced (to <>): retried, as transient.
                ScheduleRetry(attempt, rules.Retry, now);
                break;

            case DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed
                when policy.OnFailure == FailureAction.RetryThenPickup && !policy.ForcePickup && queuedFor < policy.RetryTlsFor:
                // TLS may come back (a certificate renewed, a server fixed): keep trying for the set time first.
                ScheduleRetry(attempt, rules.Retry, now);
                break;

            case DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed when policy.ForcePickup || policy.OnFailure != FailureAction.Bounce:
                // Nothing is ever sent in clear: the encrypted copy stays, for the recipient to pick up.
                HoldForPickup(attempt, now + rules.PickupRetention, policy.RequirePin);
                (HeldAt, TlsRetriedAt) = (now, null);
                break;

            case DeliveryOutcome.TlsUnavailable or DeliveryOutcome.TlsFailed:
                Bounce(attempt, now);
                break;

            default:
                Fail(attempt, now);
                break;
        }
    }

    /// <summary>
    /// Queued → Delivered. Over TLS the diagnostic names the session; without TLS (a submitted message under a
    /// policy's deliver-plain test mode) it says so and <see cref="DeliveredInClear"/> is set. A DSN is owed only
    /// when <paramref name="reportDelivered"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not queued, or the message is not loaded.</exception>
    /// <exception cref="ArgumentException">The attempt's outcome does not lead to this transition.</exception>
    public void Deliver(RecipientAttempt attempt, string policySource, bool reportDelivered, DateTimeOffset now)
    {
        EndAttempt(nameof(Deliver), attempt, DeliveryOutcome.Delivered);
        Complete(RecipientStatus.Delivered, now);
        if (attempt.OverTls)
        {
            Diagnostic = Truncate($"delivered over {attempt.TlsProtocol} ({attempt.TlsCipher}); {attempt.Result.Diagnostic}", DiagnosticLength);
        }
        else if (LoadedMessage.Kind == MessageKind.Submitted)
        {
            DeliveredInClear = true;
            Diagnostic = Truncate($"delivered WITHOUT TLS (deliver-plain test mode of {policySource}); {attempt.Result.Diagnostic}", DiagnosticLength);
        }

        DsnPending = ReportOwed(reportDelivered);
    }

    /// <summary>Queued → Queued: a transient failure, or a TLS failure still within its retry time; due again per <paramref name="schedule"/>.</summary>
    /// <exception cref="InvalidOperationException">Not queued, or the message is not loaded.</exception>
    /// <exception cref="ArgumentException">The attempt's outcome does not lead to this transition.</exception>
    public void ScheduleRetry(RecipientAttempt attempt, RetrySchedule schedule, DateTimeOffset now)
    {
        EndAttempt(nameof(ScheduleRetry), attempt, DeliveryOutcome.Transient, DeliveryOutcome.TlsUnavailable, DeliveryOutcome.TlsFailed);
        NextAttemptAt = now + schedule.DelayAfter(AttemptCount);
    }

    /// <summary>
    /// Queued → Failed with 4.4.7 <see cref="FailureReason.QueueExpired"/>: still transient after the maximum queue
    /// time, or mail we generate still without the TLS it needs. A DSN is owed (never to the null sender).
    /// </summary>
    /// <exception cref="InvalidOperationException">Not queued, or the message is not loaded.</exception>
    /// <exception cref="ArgumentException">The attempt's outcome does not lead to this transition.</exception>
    public void GiveUp(RecipientAttempt attempt, DateTimeOffset now)
    {
        var generatedWithoutTls = attempt.Result.Outcome.IsTlsFailure() && Message is { } message && !message.Kind.MayBeHeldForPickup();
        EndAttempt(nameof(GiveUp), attempt, generatedWithoutTls ? attempt.Result.Outcome : DeliveryOutcome.Transient);
        Complete(RecipientStatus.Failed, now);
        (Reason, StatusCode) = (FailureReason.QueueExpired, "4.4.7");
        Diagnostic = Truncate($"gave up after {AttemptCount} attempts; last error: {attempt.Result.Diagnostic}", DiagnosticLength);
        DsnPending = ReportOwed();
    }

    /// <summary>
    /// Queued → HeldForPickup until <paramref name="holdUntil"/>, status 2.0.0: TLS could not be had (or a rule
    /// forces pickup). Nothing is sent in clear. A DSN and a pickup notice are owed. With <paramref name="pinRequired"/>
    /// the copy opens only with the sender's PIN (<see cref="PickupPinRequired"/>); a PIN asked for once stays.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not queued, or the message is not loaded.</exception>
    /// <exception cref="ArgumentException">The attempt's outcome does not lead to this transition.</exception>
    public void HoldForPickup(RecipientAttempt attempt, DateTimeOffset holdUntil, bool pinRequired = false)
    {
        EndAttempt(nameof(HoldForPickup), attempt, DeliveryOutcome.TlsUnavailable, DeliveryOutcome.TlsFailed);
        (Status, HoldUntil, StatusCode) = (RecipientStatus.HeldForPickup, holdUntil, "2.0.0");
        PickupPinRequired |= pinRequired;
        DsnPending = ReportOwed();
        PickupNoticePending = true;
    }

    /// <summary>
    /// Queued → Failed under policy "bounce": nothing is sent in clear; 5.7.10 "encryption needed", or 5.7.30 when a
    /// REQUIRETLS message found no next hop offering REQUIRETLS. A DSN is owed.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not queued, or the message is not loaded.</exception>
    /// <exception cref="ArgumentException">The attempt's outcome does not lead to this transition.</exception>
    public void Bounce(RecipientAttempt attempt, DateTimeOffset now)
    {
        EndAttempt(nameof(Bounce), attempt, DeliveryOutcome.TlsUnavailable, DeliveryOutcome.TlsFailed);
        Complete(RecipientStatus.Failed, now);
        StatusCode = attempt.Result.Reason == FailureReason.RequireTlsNotSupported ? "5.7.30" : "5.7.10";
        DsnPending = ReportOwed();
    }

    /// <summary>Queued → Failed: a permanent answer (5xx, null MX, no such domain, missing content), with its status code. A DSN is owed.</summary>
    /// <exception cref="InvalidOperationException">Not queued, or the message is not loaded.</exception>
    /// <exception cref="ArgumentException">The attempt's outcome does not lead to this transition.</exception>
    public void Fail(RecipientAttempt attempt, DateTimeOffset now)
    {
        EndAttempt(nameof(Fail), attempt, DeliveryOutcome.Permanent);
        Complete(RecipientStatus.Failed, now);
        DsnPending = ReportOwed();
    }

    /// <summary>
    /// HeldForPickup → PickupExpired once <see cref="HoldUntil"/> has passed: the copy is destroyed. Read copies end
    /// with 2.0.0 and no DSN (the sender had the read receipt); unread ones with 5.4.7 and a DSN.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not held, the hold has not run out, or (unread) the message is not loaded.</exception>
    public void ExpireHold(bool wasRead, DateTimeOffset now)
    {
        RequireStatus(nameof(ExpireHold), RecipientStatus.HeldForPickup);
        if (HoldUntil > now)
        {
            throw new InvalidOperationException($"The hold of recipient {Id} runs until {HoldUntil:O}; it cannot expire at {now:O}.");
        }

        var reportOwed = ReportOwed(!wasRead);
        Complete(RecipientStatus.PickupExpired, now);
        (StatusCode, DsnPending) = (wasRead ? "2.0.0" : "5.4.7", reportOwed);
    }

    /// <summary>Queued or HeldForPickup → Queued, due at once (an administrator's retry; a held copy tries TLS again).</summary>
    /// <exception cref="InvalidOperationException">The recipient is final.</exception>
    public void Requeue(DateTimeOffset now)
    {
        RequireStatus(nameof(Requeue), RecipientStatus.Queued, RecipientStatus.HeldForPickup);
        (Status, NextAttemptAt, HoldUntil, RetryingTlsAfterHold) = (RecipientStatus.Queued, now, null, false);
    }

    /// <summary>Queued or HeldForPickup → Failed 5.3.0 <see cref="FailureReason.DeletedByAdmin"/>: returned to the sender with a DSN, never lost silently.</summary>
    /// <exception cref="InvalidOperationException">The recipient is final, or the message is not loaded.</exception>
    public void DeleteByAdmin(string? adminName, DateTimeOffset now)
    {
        RequireStatus(nameof(DeleteByAdmin), RecipientStatus.Queued, RecipientStatus.HeldForPickup);
        var reportOwed = ReportOwed();
        Complete(RecipientStatus.Failed, now);
        (StatusCode, Reason, DsnPending) = ("5.3.0", FailureReason.DeletedByAdmin, reportOwed);
        Diagnostic = $"removed from the queue by an administrator ({adminName})";
    }

    /// <summary>Clears <see cref="PickupNoticePending"/>: the notice (or the extension of an existing grant) is queued.</summary>
    /// <exception cref="InvalidOperationException">No notice was owed.</exception>
    public void PickupNoticeQueued() => PickupNoticePending = Cleared(PickupNoticePending, "pickup notice");

    /// <summary>Clears <see cref="DsnPending"/>: the DSN is queued (or given up on, for a sender MimeKit cannot address).</summary>
    /// <exception cref="InvalidOperationException">No DSN was owed.</exception>
    public void DsnQueued() => DsnPending = Cleared(DsnPending, "DSN");

    private bool Cleared(bool owed, string what) =>
        owed ? false : throw new InvalidOperationException($"No {what} is owed for recipient {Id}.");

    private QueuedMessage LoadedMessage =>
        Message ?? throw new InvalidOperationException($"Recipient {Id}'s message must be loaded for this transition.");

    /// <summary>The one place a report is judged owed: never to the null sender (RFC 5321 4.5.5), or bounce loops start.</summary>
    private bool ReportOwed(bool owed = true) => owed && LoadedMessage.SenderGetsReports;

    private void Complete(RecipientStatus final, DateTimeOffset now) => (Status, CompletedAt) = (final, now);

    /// <summary>
    /// Counts an attempt that ended the recipient's round, keeps its result, and ends the claim. Everything is
    /// checked (state, outcome, loaded message) before anything changes.
    /// </summary>
    private void EndAttempt(string transition, RecipientAttempt attempt, params DeliveryOutcome[] allowed)
    {
        RequireStatus(transition, RecipientStatus.Queued);
        if (!allowed.Contains(attempt.Result.Outcome))
        {
            throw new ArgumentException($"{transition} does not follow an attempt that was {attempt.Result.Outcome}.", nameof(attempt));
        }

        _ = LoadedMessage; // an attempt is judged against its message (kind, age, sender)

        AttemptCount++;
        (LastOutcome, Reason, StatusCode) = (attempt.Result.Outcome, attempt.Result.Reason, attempt.Result.StatusCode);
        (Diagnostic, RemoteHost) = (Truncate(attempt.Result.Diagnostic, DiagnosticLength), attempt.RemoteHost);
        (LeaseOwner, LeaseUntil) = (null, null); // attempted: the claim ends with its record
    }

    private void RequireStatus(string transition, params RecipientStatus[] from)
    {
        if (!from.Contains(Status))
        {
            throw new InvalidOperationException($"{transition} is not allowed for recipient {Id}: it is {Status}, not {string.Join(" or ", from)}.");
        }
    }

    private static string? Truncate(string? text, int length) =>
        text is null || text.Length <= length ? text : text[..length];
}
