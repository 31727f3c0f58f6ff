using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SecureFallback.Delivery.Queue;

namespace SecureFallback.Delivery.Tests;

public sealed class OutboxRunnerTests
{
    [Fact]
    public async Task AThrowingOutbox_DoesNotStopTheOthers_AndRestsBeforeItsNextTry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2025-01-01T00:00:00Z"));
        var runner = new OutboxRunner(time, NullLogger.Instance);
        var (broken, dsn) = (0, 0);
        OutboxPass[] outboxes =
        [
            new("disown reports", _ => { broken++; throw new FormatException("not a mailbox"); }),
            new("DSNs", _ => Task.FromResult(++dsn)),
        ];

        await runner.RunAsync(outboxes, CancellationToken.None);
        await runner.RunAsync(outboxes, CancellationToken.None);
        time.Advance(OutboxRunner.Backoff);
        await runner.RunAsync(outboxes, CancellationToken.None);

        Assert.Equal(3, dsn); // every round
        Assert.Equal(2, broken); // not again within its backoff
    }
}

public sealed class OutboxRunnerBackoffTests
{
    [Fact]
    public async Task AnOutboxThatKeepsFailing_BacksOffExponentiallyToTheCap_AndASuccessResetsIt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2025-01-01T00:00:00Z"));
        var runner = new OutboxRunner(time, NullLogger.Instance);
        var (tries, failing) = (0, true);
        OutboxPass[] outboxes = [new("DSN", _ => { tries++; return failing ? throw new InvalidOperationException("poison") : Task.FromResult(1); })];
        var expected = new[] { 5, 10, 20, 40, 80, 160, 300, 300 };

        await runner.RunAsync(outboxes, CancellationToken.None); // fails: rests 5 s
        foreach (var seconds in expected)
        {
            var before = tries;
            time.Advance(TimeSpan.FromSeconds(seconds - 1));
            await runner.RunAsync(outboxes, CancellationToken.None);
            Assert.Equal(before, tries); // still resting
            time.Advance(TimeSpan.FromSeconds(1));
            await runner.RunAsync(outboxes, CancellationToken.None);
            Assert.Equal(before + 1, tries);
        }

        failing = false;
        time.Advance(OutboxRunner.MaxBackoff);
        await runner.RunAsync(outboxes, CancellationToken.None); // succeeds
        failing = true;
        await runner.RunAsync(outboxes, CancellationToken.None); // fails again: back to the first step
        time.Advance(OutboxRunner.Backoff);
        await runner.RunAsync(outboxes, CancellationToken.None);

        Assert.Equal(1 + expected.Length + 3, tries);
    }
}
