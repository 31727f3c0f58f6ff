using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>Data's write gate: every write takes its turn, and no failure of a write keeps the gate from the next.</summary>
public sealed class WriteGateTests
{
    [Fact]
    public async Task Save_ThatFailsOnAConcurrencyConflict_LeavesTheGateToTheNextWrite()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>());
        await server.AddRelayUserAsync("stale", "a long enough password");

        // A save that affects no row where EF expected one: EF Core 7+ reports it through its own path, not the
        // interceptors' failure callbacks (as when two portal requests update the same Identity user at once).
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            var user = await db.RelayUsers.SingleAsync(u => u.Name == "stale");
            await using (var other = server.Services.CreateAsyncScope())
            {
                var otherDb = other.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
                await otherDb.RelayUsers.Where(u => u.Name == "stale").ExecuteDeleteAsync();
            }

            db.RelayUsers.Remove(user);
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db.SaveChangesAsync());
        }

        // The next writes (a fresh context, and whichever pooled context comes back) are not held up.
        for (var i = 0; i < 3; i++)
        {
            await using var scope = server.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            db.RelayUsers.Add(new RelayUser { Name = $"next{i}", PasswordHash = "x", CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await using var write = await db.BeginWriteAsync(Data.Writes.WriteDurability.Full, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            await write.CommitAsync();
        }
    }
}
