using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using SecureFallback.Delivery.Outboxes;

namespace SecureFallback.Delivery.Tests;

public sealed class OutboxItemFailuresTests
{
    private sealed class EmptyContext() : DbContext(new DbContextOptionsBuilder().UseSqlite("Data Source=:memory:").Options);

    [Fact]
    public async Task AnItemThatAlwaysThrows_IsSetAsideAfterFiveFailures_AndTheItemsBehindItGoOnEveryPass()
    {
        var failures = new OutboxItemFailures("DSN", NullLogger.Instance);
        await using var db = new EmptyContext();
        var (sent, setAside) = (0, 0);

        for (var pass = 1; pass <= OutboxItemFailures.MaxFailures; pass++)
        {
            Assert.False(await failures.TryAsync(db, "message 1", () => throw new ArgumentException("poison"), () => Task.FromResult(++setAside), CancellationToken.None));
            Assert.True(await failures.TryAsync(db, "message 2", () => Task.FromResult(++sent), () => throw new InvalidOperationException(), CancellationToken.None));
            Assert.Equal(pass == OutboxItemFailures.MaxFailures ? 1 : 0, setAside);
        }

        Assert.Equal(OutboxItemFailures.MaxFailures, sent);
    }
}
