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
}
