using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Data;
using SecureFallback.Data.Queue;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// <see cref="IQueueLeases.ClaimMoreAsync"/>: more recipients for a domain already at work here, never one that a
/// running delivery holds (even once its claim lapsed, as the run may still renew it) nor one another instance holds.
/// </summary>
public sealed class ClaimMoreTests
{
    private const string Domain = "more.test";

    [Fact]
    public async Task ClaimMore_LeavesOutTheRecipientsInHand_EvenLapsed_AndThoseOfAnotherInstance()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Roles"] = "Intake", // nothing delivers: the test does the claiming
        });
        for (var i = 0; i < 4; i++)
        {
            await server.SendAsync("alice@sender.test", [$"r{i}@{Domain}"], $"m{i}", "body");
        }

        var leases = server.Services.GetRequiredService<IQueueLeases>();
        var now = DateTimeOffset.UtcNow.AddSeconds(1);
        var first = Assert.Single(await leases.ClaimDueAsync([], 1, 1, now, now.AddSeconds(30), CancellationToken.None));
        var others = (await server.RecipientsAsync()).Where(r => r.Id != first.Id).Select(r => r.Id).Order().ToList();
        await using (var scope = server.Services.CreateAsyncScope())
        {
            // Another instance holds one of them.
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            await db.Recipients.Where(r => r.Id == others[0])
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, "elsewhere").SetProperty(r => r.LeaseUntil, now.AddMinutes(5)));
        }

        // Later than the first claim lasts: it lapsed, but a run still has it in hand.
        var later = now.AddMinutes(1);
        var more = await leases.ClaimMoreAsync([Domain], [first.Id], 10, later, later.AddSeconds(30), CancellationToken.None);

        Assert.Equal(others.Skip(1), more.Select(r => r.Id).Order());
        Assert.All(more, r => Assert.Equal(Domain, r.Domain));
        var inHand = more.Select(r => r.Id).Append(first.Id).ToList();
        Assert.Empty(await leases.ClaimMoreAsync([Domain], inHand, 10, later, later.AddSeconds(30), CancellationToken.None));
        // A claim of ours that no run holds is a leftover of a failed run: free again.
        Assert.Equal(others.Skip(1), (await leases.ClaimMoreAsync([Domain], [first.Id], 10, later, later.AddSeconds(30), CancellationToken.None)).Select(r => r.Id).Order());
    }

    [Fact]
    public async Task ClaimMore_WithMoreIdsInHandThanOneQueryMayCarry_StillClaims_AndStillLeavesThemOut()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Roles"] = "Intake",
        });
        await server.SendAsync("alice@sender.test", [$"a@{Domain}"], "held by a run", "body");
        await server.SendAsync("alice@sender.test", [$"b@{Domain}"], "due", "body");
        var ids = (await server.RecipientsAsync()).Select(r => r.Id).Order().ToList();
        var leases = server.Services.GetRequiredService<IQueueLeases>();
        var now = DateTimeOffset.UtcNow.AddSeconds(1);
        // A hand of 40,000 ids (long runs of a big domain): more parameters than SQLite takes in one statement.
        var inHand = Enumerable.Range(1, 40_000).Select(i => -(long)i).Append(ids[0]).ToList();

        var more = await leases.ClaimMoreAsync([Domain], inHand, 10, now, now.AddSeconds(30), CancellationToken.None);

        Assert.Equal([ids[1]], more.Select(r => r.Id));
    }
}
