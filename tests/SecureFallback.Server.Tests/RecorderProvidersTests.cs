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

    /// <summary>
    /// On SQLite the recording transaction is the only writer, so the recipient rows it reads say who holds each claim:
    /// no query of its own checks the claims (issue 18, CPU per message), and a claim that is another's still keeps the
    /// outcome from being applied.
    /// </summary>
    [Fact]
    public async Task Recorder_OnSqlite_ChecksTheClaimsOnTheRowsItReads_WithoutAQueryOfItsOwn()
    {
        using var sql = new Benchmarks.SqlCapture();
        await using var server = await StartAsync(new() { ["SecureFallback:Database:Provider"] = "sqlite" });
        await server.SendAsync("alice@sender.test", ["bob@mx.test", "carol@mx.test"], "record", "body");
        var recipients = await server.RecipientsAsync();
        var (bob, carol) = (recipients.Single(r => r.Address == "bob@mx.test"), recipients.Single(r => r.Address == "carol@mx.test"));
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            var until = DateTimeOffset.UtcNow.AddMinutes(5);
            await db.Recipients.Where(r => r.Id == bob.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, "recorder-me").SetProperty(r => r.LeaseUntil, until));
            await db.Recipients.Where(r => r.Id == carol.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, "another").SetProperty(r => r.LeaseUntil, until));
        }

        var attempt = new AttemptRecord("mx.test", null, 25, HostAttemptResult.Delivered("250 2.0.0 ok"), null, DateTimeOffset.UtcNow);
        IReadOnlyList<string> commands;
        using (var recording = Benchmarks.SqlCapture.Capture())
        {
            await server.Services.GetRequiredService<OutcomeRecorder>().RecordAsync(
                [new MessageOutcome(bob.MessageId, new() { [bob.Id] = [attempt], [carol.Id] = [attempt] }, PolicyDecision.Default)]);
            commands = recording.Commands;
        }

        Assert.DoesNotContain(commands, c => c.TrimStart().StartsWith("SELECT", StringComparison.Ordinal) && c.Contains("\"LeaseOwner\" = ", StringComparison.Ordinal));
        var after = await server.RecipientsAsync();
        Assert.Equal(RecipientStatus.Delivered, after.Single(r => r.Id == bob.Id).Status);
        Assert.Equal(RecipientStatus.Queued, after.Single(r => r.Id == carol.Id).Status); // another's claim: not applied
        Assert.Equal(2, (await server.AttemptsAsync()).Count); // both audited
    }

    /// <summary>
    /// The wait for sibling connections is a pause of the machine, not a due time: under a test's frozen clock (or a
    /// clock that jumps) a commit must not wait for a sibling that is still sending until the clock moves.
    /// </summary>
    [Fact]
    public async Task Recorder_WithAFrozenClock_DoesNotWaitForASendingSiblingBeyondAMoment()
    {
        var frozen = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string> { ["SecureFallback:Roles"] = "Intake", ["SecureFallback:InstanceName"] = "recorder-me" }, time: frozen);
        await server.SendAsync("alice@sender.test", ["bob@mx.test"], "record", "body");
        var bob = Assert.Single(await server.RecipientsAsync());
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            await db.Recipients.ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, "recorder-me").SetProperty(r => r.LeaseUntil, frozen.GetUtcNow().AddMinutes(5)));
        }

        var recorder = server.Services.GetRequiredService<OutcomeRecorder>();
        using var connection = recorder.JoinSenders();
        using var sibling = recorder.JoinSenders();
        sibling.Working(); // and never hands in while this test runs
        var attempt = new AttemptRecord("mx.test", null, 25, HostAttemptResult.Delivered("250 2.0.0 ok"), null, frozen.GetUtcNow());

        await recorder.RecordAsync(new MessageOutcome(bob.MessageId, new() { [bob.Id] = [attempt] }, PolicyDecision.Default), connection)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RecipientStatus.Delivered, Assert.Single(await server.RecipientsAsync()).Status);
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
