using SecureFallback.Core.Delivery;

namespace SecureFallback.Core.Tests;

public sealed class RecipientOutcomeDecisionTests
{
    private static readonly HostAttemptResult NoTls = new(DeliveryOutcome.TlsUnavailable, FailureReason.StartTlsNotSupported, "no STARTTLS", "5.7.10");
    private static readonly HostAttemptResult BadHandshake = new(DeliveryOutcome.TlsFailed, FailureReason.ValidationFailure, "handshake", "5.7.10");
    private static readonly HostAttemptResult Down = new(DeliveryOutcome.Transient, FailureReason.ConnectionFailed, "refused", "4.4.1");
    private static readonly HostAttemptResult Accepted = new(DeliveryOutcome.Delivered, null, "250 ok", "2.0.0");
    private static readonly HostAttemptResult Rejected = new(DeliveryOutcome.Permanent, FailureReason.PermanentReply, "550 no", "5.1.1");

    [Fact]
    public void Decide_WhenALaterHostAccepts_IsDelivered() =>
        Assert.Same(Accepted, RecipientOutcomeDecision.Decide([NoTls, Down, Accepted]));

    [Fact]
    public void Decide_WhenAHostRejects_IsPermanent() =>
        Assert.Same(Rejected, RecipientOutcomeDecision.Decide([Down, Rejected]));

    [Fact]
    public void Decide_WhenOneHostIsDownAndAnotherHasNoTls_RetriesRatherThanFailing() =>
        Assert.Equal(DeliveryOutcome.Transient, RecipientOutcomeDecision.Decide([Down, NoTls]).Outcome);

    [Fact]
    public void Decide_WhenEveryHostFailsTls_IsATlsFailure_PreferringTheHandshakeReason()
    {
        Assert.Same(NoTls, RecipientOutcomeDecision.Decide([NoTls, NoTls]));
        Assert.Same(BadHandshake, RecipientOutcomeDecision.Decide([NoTls, BadHandshake]));
    }

    [Fact]
    public void Decide_WithNoHost_IsTransient() =>
        Assert.Equal(DeliveryOutcome.Transient, RecipientOutcomeDecision.Decide([]).Outcome);
}

public sealed class RetryScheduleTests
{
    [Fact]
    public void RetrySchedule_RepeatsItsLastStep()
    {
        var schedule = new RetrySchedule([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)]);

        Assert.Equal(TimeSpan.FromMinutes(1), schedule.DelayAfter(1));
        Assert.Equal(TimeSpan.FromMinutes(5), schedule.DelayAfter(2));
        Assert.Equal(TimeSpan.FromMinutes(5), schedule.DelayAfter(30));
    }
}
