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
