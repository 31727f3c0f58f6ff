using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using SecureFallback.Data;
using SecureFallback.Delivery.Outcomes;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// The recorder's queries are compiled once per EF Core model, not once per process: a process may hold contexts of
/// two models (SQLite and PostgreSQL: the test host does, running tests of both), and a query compiled against one
/// cannot run on the other.
/// </summary>
[Collection(nameof(SharedQueueTests))]
public sealed class RecorderProvidersTests
{
    [Fact]
    public async Task Recorder_OnSqliteThenOnPostgres_RecordsOnBoth()
    {
        await using (var sqlite = await StartAsync(new() { ["SecureFallback:Database:Provider"] = "sqlite" }))
        {
            await RecordDeliveredAsync(sqlite);
        }

        var postgres = TestDatabase.PostgresConnectionString("sf_recorder_" + Guid.NewGuid().ToString("N")[..12]);
        await using (var onPostgres = await StartAsync(SharedInstances.Settings(postgres, "recorder-me")))
        {
            await RecordDeliveredAsync(onPostgres);
        }
    }

    private static Task<SecureFallbackInstance> StartAsync(Dictionary<string, string> settings)
    {
        settings["SecureFallback:Roles"] = "Intake"; // no queue runner: the test holds the claim itself
        settings["SecureFallback:InstanceName"] = "recorder-me";
        return SecureFallbackInstance.StartAsync(settings);
    }

    /// <summary>Queues a message, claims its recipient and records a delivery; the content is purged with it.</summary>
    private static async Task RecordDeliveredAsync(SecureFallbackInstance server)
    {
        await server.SendAsync("alice@sender.test", ["bob@mx.test"], "record", "body");
        var bob = Assert.Single(await server.RecipientsAsync());
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            await db.Recipients.ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, "recorder-me").SetProperty(r => r.LeaseUntil, DateTimeOffset.UtcNow.AddMinutes(5)));
        }

        var attempt = new AttemptRecord("mx.test", null, 25, HostAttemptResult.Delivered("250 2.0.0 ok"), null, DateTimeOffset.UtcNow);
        await server.Services.GetRequiredService<OutcomeRecorder>().RecordAsync(
            [new MessageOutcome(bob.MessageId, new() { [bob.Id] = [attempt] }, PolicyDecision.Default)]);

        var after = Assert.Single(await server.RecipientsAsync());
        Assert.Equal(RecipientStatus.Delivered, after.Status);
        Assert.NotNull(after.Message!.ContentPurgedAt);
        Assert.Single(await server.AttemptsAsync());
    }
}
