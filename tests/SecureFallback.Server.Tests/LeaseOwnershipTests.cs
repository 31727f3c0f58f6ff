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
/// One owner per delivery: a claim lasts while its instance is still working on it (however slow the receiver), an
/// instance never sends what another one holds, and an outcome is recorded only by the instance that holds the claim.
/// </summary>
[Collection(nameof(SharedQueueTests))]
public sealed class LeaseOwnershipTests
{
    private const int Messages = 3;

    /// <summary>The shortest lease the settings allow; every reply below takes longer than that.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task TwoInstances_ReceiverSlowerThanTheLease_EveryMessageIsSentOnce()
    {
        var connectionString = TestDatabase.PostgresConnectionString("sf_lease_" + Guid.NewGuid().ToString("N")[..12]);
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        receiver.ReplyDelay = Lease + TimeSpan.FromSeconds(3); // a tarpit, or a large message on a slow link
        Dictionary<string, string> Settings(string name) => new(SharedInstances.Settings(connectionString, name))
        {
            ["SecureFallback:Delivery:LeaseDuration"] = Lease.ToString(),
            ["SecureFallback:Delivery:PollInterval"] = "00:00:01",
            ["SecureFallback:Delivery:Routes:slow.test"] = receiver.Route,
        };
        var (dataA, dataB) = (SecureFallbackInstance.NewDataDirectory(), SecureFallbackInstance.NewDataDirectory());
        await using var a = await SecureFallbackInstance.StartAsync(Settings("lease-a"), dataA);
        SharedInstances.CopyKeyEncryptionKey(dataA, dataB);
        await using var b = await SecureFallbackInstance.StartAsync(Settings("lease-b"), dataB);

        for (var i = 0; i < Messages; i++)
        {
            await a.SendAsync("alice@sender.test", ["bob@slow.test"], $"slow {i}", "body");
        }

        var bobs = await a.WaitForRecipientsAsync(
            r => r.Count(x => x.Address == "bob@slow.test" && x.Status != RecipientStatus.Queued) == Messages, TimeSpan.FromMinutes(2));
        // A copy sent by the instance that took a lapsed claim arrives before either one records: a moment more
        // lets any late one in.
        await Task.Delay(TimeSpan.FromSeconds(2));

        var copies = receiver.Messages.GroupBy(m => m.Parse().Subject ?? "").ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Messages, copies.Count);
        Assert.All(copies, c => Assert.True(c.Value == 1, $"'{c.Key}' arrived {c.Value} times"));
        Assert.All(bobs.Where(x => x.Address == "bob@slow.test"), x => Assert.Equal(RecipientStatus.Delivered, x.Status));
        Assert.All(bobs, x => Assert.Null(x.LeaseOwner));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Recorder_AppliesAnOutcomeOnlyWhileTheLeaseIsOurs_AndAuditsTheAttemptEitherWay(bool leaseIsOurs)
    {
        // No queue runner: the test holds the claims itself.
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Roles"] = "Intake",
            ["SecureFallback:InstanceName"] = "recorder-me",
        });
        await server.SendAsync("alice@sender.test", ["bob@taken.test"], "taken", "body");
        var bob = (await server.RecipientsAsync()).Single(r => r.Address == "bob@taken.test");
        // Our claim lapsed during a slow send, and another instance may have taken the recipient meanwhile.
        var owner = leaseIsOurs ? "recorder-me" : "recorder-other";
        await SetLeaseAsync(server, bob.Id, owner, DateTimeOffset.UtcNow.AddMinutes(5));

        var attempt = new AttemptRecord("mx.taken.test", null, 25, HostAttemptResult.Delivered("250 2.0.0 ok"), null, DateTimeOffset.UtcNow);
        await server.Services.GetRequiredService<OutcomeRecorder>().RecordAsync(
            [new MessageOutcome(bob.MessageId, new() { [bob.Id] = [attempt] }, PolicyDecision.Default)]);

        var after = (await server.RecipientsAsync()).Single(r => r.Id == bob.Id);
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(await server.AttemptsAsync()).Outcome);
        Assert.Equal(leaseIsOurs ? RecipientStatus.Delivered : RecipientStatus.Queued, after.Status);
        Assert.Equal(leaseIsOurs ? null : "recorder-other", after.LeaseOwner);
        Assert.Equal(leaseIsOurs ? 1 : 0, after.AttemptCount);
    }

    private static async Task SetLeaseAsync(SecureFallbackInstance server, long recipientId, string owner, DateTimeOffset until)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        await db.Recipients.Where(r => r.Id == recipientId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, owner).SetProperty(r => r.LeaseUntil, until));
    }
}
