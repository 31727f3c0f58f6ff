using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Reporting;
using SecureFallback.Data;
using SecureFallback.Data.Writes;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Two instances on one PostgreSQL database add their TLS session counts to the same rows at the same time: the
/// upsert is atomic per row, so no count is lost and no write fails (one report covers both instances).
/// </summary>
public sealed class TlsSessionCountSharingTests
{
    private const int WritesPerInstance = 20;

    [Fact]
    public async Task TwoInstances_OnePostgres_AddConcurrentCountsToOneRow_WithoutLosingAny()
    {
        var connectionString = TestDatabase.PostgresConnectionString("sf_tlsrpt_" + Guid.NewGuid().ToString("N")[..12]);
        var (dataA, dataB) = (SecureFallbackInstance.NewDataDirectory(), SecureFallbackInstance.NewDataDirectory());
        await using var a = await SecureFallbackInstance.StartAsync(SharedInstances.Settings(connectionString, "tlsrpt-a"), dataA);
        SharedInstances.CopyKeyEncryptionKey(dataA, dataB);
        await using var b = await SecureFallbackInstance.StartAsync(SharedInstances.Settings(connectionString, "tlsrpt-b"), dataB);

        var writes = new[] { a, b }.SelectMany(instance => Enumerable.Range(0, WritesPerInstance).Select(i => AddAsync(instance, reversed: i % 2 == 1))).ToList();
        var errors = await Task.WhenAll(writes);

        Assert.All(errors, Assert.Null);
        await using var scope = a.Services.CreateAsyncScope();
        var rows = await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().TlsSessionCounts.OrderBy(c => c.ResultType).ToListAsync();
        Assert.Equal([("starttls-not-supported", 2L * WritesPerInstance * 2), ("success", 2L * WritesPerInstance)], rows.Select(r => (r.ResultType, r.SessionCount)));
    }

    [Fact]
    public async Task Counts_OfAPolicyLongerThan16K_AreRecorded_OnPostgres()
    {
        var connectionString = TestDatabase.PostgresConnectionString("sf_tlsrpt_" + Guid.NewGuid().ToString("N")[..12]);
        await using var server = await SecureFallbackInstance.StartAsync(SharedInstances.Settings(connectionString, "tlsrpt-long"), SecureFallbackInstance.NewDataDirectory());
        var policy = TlsRptPolicy.OfTlsa("mx.partner.test", [.. Enumerable.Range(0, 200).Select(i => $"3 1 1 {new string('a', 100)}{i}")]);
        var count = Count(TlsRptResult.Success, 1);
        (count.PolicyKey, count.Policy) = (policy.Key, policy.Serialize());
        Assert.True(count.Policy.Length > 16384);

        Exception? error;
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            await using var write = await db.BeginWriteAsync(WriteDurability.Relaxed, CancellationToken.None);
            error = await write.TryAddTlsSessionCountsAsync([count], CancellationToken.None);
            await write.CommitAsync();
        }

        Assert.Null(error);
        await using var check = server.Services.CreateAsyncScope();
        Assert.Equal(policy, TlsRptPolicy.Deserialize((await check.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().TlsSessionCounts.SingleAsync()).Policy));
    }

    private static async Task<Exception?> AddAsync(SecureFallbackInstance instance, bool reversed)
    {
        await Task.Yield();
        await using var scope = instance.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        await using var write = await db.BeginWriteAsync(WriteDurability.Relaxed, CancellationToken.None);
        // Two rows per write, half the writers give them in the key's order and half in the opposite order: only the
        // upsert's own ordering keeps two transactions from locking the rows in opposite orders (a deadlock).
        TlsSessionCount[] rows = [Count(TlsRptResult.Success, 1), Count("starttls-not-supported", 2)];
        var error = await write.TryAddTlsSessionCountsAsync(reversed ? [.. rows.Reverse()] : rows, CancellationToken.None);
        await write.CommitAsync();
        return error;
    }

    private static TlsSessionCount Count(string result, long count) => new()
    {
        Day = "2026-12-06",
        PolicyDomain = "partner.test",
        PolicyKey = TlsRptPolicy.None.Key,
        Policy = TlsRptPolicy.None.Serialize(),
        ResultType = result,
        SendingIp = "127.0.0.1",
        ReceivingMxHost = "mx.partner.test",
        ReceivingIp = "127.0.0.1",
        SessionCount = count,
    };
}
