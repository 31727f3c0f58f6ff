using System.Net;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Policies;
using SecureFallback.Delivery.Outcomes;
using SecureFallback.Delivery.Reports;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Tests;

/// <summary>The TLS report counts TLS sessions: one per connection established, not one per message or answer.</summary>
public sealed class TlsSessionTallyTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);
    private static readonly TlsSessionInfo Tls = new("Tls13", null, null, null);
    private static readonly PolicyDecision Decision = new(TlsLevel.Encrypt, FailureAction.Pickup, TimeSpan.Zero, false, "default");

    [Fact]
    public void TwoMessages_OnOneConnection_AreOneSession()
    {
        var first = Outcome(new() { [1] = [Attempt(HostAttemptResult.Delivered("250 ok"), At)] });
        var second = Outcome(new() { [2] = [Attempt(HostAttemptResult.Delivered("250 ok"), At.AddSeconds(1)) with { Reused = true }] });

        var counts = TlsSessionTally.Of([first, second]);

        Assert.Equal(1, counts.Sum(c => c.SessionCount));
    }

    [Fact]
    public void Recipients_AnsweredDifferently_OnOneConnection_AreOneSession()
    {
        var outcome = Outcome(new()
        {
            [1] = [Attempt(HostAttemptResult.Delivered("250 ok"), At)],
            [2] = [Attempt(HostAttemptResult.Transient(FailureReason.TemporaryReply, "451 later", "4.0.0"), At)],
        });

        var counts = TlsSessionTally.Of([outcome]);

        Assert.Equal(1, counts.Sum(c => c.SessionCount));
    }

    private static AttemptRecord Attempt(HostAttemptResult result, DateTimeOffset startedAt) =>
        new("mx.partner.test", IPAddress.Loopback, 25, result, Tls, startedAt, TlsLevel.Encrypt);

    private static MessageOutcome Outcome(Dictionary<long, List<AttemptRecord>> attempts) =>
        new(Guid.NewGuid(), attempts, Decision, "partner.test");
}
