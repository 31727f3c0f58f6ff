using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;

namespace SecureFallback.Data.Queue;

/// <inheritdoc cref="IQueueLeases"/>
internal sealed class QueueLeases(IServiceScopeFactory scopeFactory, IOptions<InstanceOptions> instance) : IQueueLeases
{
    private string Me => instance.Value.InstanceName;

    public async Task<IReadOnlyList<DueRecipient>> ClaimDueAsync(
        IReadOnlyCollection<string> busyDomains, int maxDomains, int limit, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        // Oldest due domains first; recipients another instance holds are not due here (our own claims on domains we
        // are not working on are leftovers of a failed run: free to take again).
        var domains = await db.Recipients.AsNoTracking()
            .Where(r => r.Status == RecipientStatus.Queued && r.NextAttemptAt <= now && !busyDomains.Contains(r.Domain))
            .Where(RecipientLeases.FreeFor(Me, now))
            .GroupBy(r => r.Domain)
            .OrderBy(g => g.Min(r => r.NextAttemptAt))
            .Select(g => g.Key)
            .Take(maxDomains)
            .ToListAsync(cancellationToken);
        if (domains.Count == 0)
        {
            return [];
        }

        return await ClaimAsync(db, domains, [], limit, now, until, cancellationToken);
    }

    /// <summary>Ids one query's <c>Contains</c> may carry as parameters (SQLite allows 32,766 a statement).</summary>
    internal const int MostIdsInACheck = 10_000;

    public async Task<IReadOnlyList<DueRecipient>> ClaimMoreAsync(
        IReadOnlyCollection<string> domains, IReadOnlyCollection<long> inHand, int limit, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        if (domains.Count == 0)
        {
            return [];
        }

        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        // Asked every round while a domain is at work: a read first, so that finding nothing takes no write lock.
        var candidates = db.Recipients.AsNoTracking()
            .Where(r => r.Status == RecipientStatus.Queued && r.NextAttemptAt <= now && domains.Contains(r.Domain))
            .Where(RecipientLeases.FreeFor(Me, now));
        // EF sends one parameter per id, and SQLite takes at most 32,766: a larger hand skips the shortcut (the claim
        // itself leaves the hand out in one parameter).
        if (inHand.Count <= MostIdsInACheck)
        {
            candidates = candidates.Where(r => !inHand.Contains(r.Id));
        }

        var any = await candidates.AnyAsync(cancellationToken);
        if (!any)
        {
            return [];
        }

        return await ClaimAsync(db, domains, inHand, limit, now, until, cancellationToken);
    }

    /// <summary>Claims due recipients of <paramref name="domains"/> but <paramref name="leaveOut"/> in a write of its own, and reads back what it claimed, longest due first.</summary>
    private async Task<IReadOnlyList<DueRecipient>> ClaimAsync(
        SecureFallbackDbContext db, IReadOnlyCollection<string> domains, IReadOnlyCollection<long> leaveOut, int limit, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        List<long> claimed;
        await using (var write = await db.BeginWriteAsync(Writes.WriteDurability.Full, cancellationToken))
        {
            claimed = await RecipientLeases.ClaimAsync(db, domains, leaveOut, Me, now, until, limit, cancellationToken);
            await write.CommitAsync(cancellationToken);
        }

        if (claimed.Count == 0)
        {
            return [];
        }

        return await db.Recipients.AsNoTracking()
            .Where(r => claimed.Contains(r.Id))
            .OrderBy(r => r.NextAttemptAt)
            .Select(r => new DueRecipient(r.Id, r.MessageId, r.Address, r.Domain, r.RetryingTlsAfterHold))
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlySet<long>> RenewAsync(IReadOnlyCollection<long> ids, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        await using var write = await db.BeginWriteAsync(Writes.WriteDurability.Full, cancellationToken);
        var held = await RecipientLeases.RenewAsync(db, ids, Me, until, cancellationToken);
        await write.CommitAsync(cancellationToken);
        return held.ToHashSet();
    }

    public async Task ReleaseAllAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        await using var write = await db.BeginWriteAsync(Writes.WriteDurability.Full, cancellationToken);
        await RecipientLeases.ReleaseAllAsync(db, Me, cancellationToken);
        await write.CommitAsync(cancellationToken);
    }

    public async Task<DateTimeOffset?> NextDueAsync(IReadOnlyCollection<string> busyDomains, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var queued = db.Recipients.AsNoTracking().Where(r => r.Status == RecipientStatus.Queued && !busyDomains.Contains(r.Domain));
        var nextDue = await queued
            .Where(RecipientLeases.FreeFor(Me, now))
            .OrderBy(r => r.NextAttemptAt)
            .Select(r => (DateTimeOffset?)r.NextAttemptAt)
            .FirstOrDefaultAsync(cancellationToken);
        // Recipients another instance holds are its work, until its claim lapses (it died): then they are ours.
        var nextLapse = await queued
            .Where(r => r.LeaseUntil > now && r.LeaseOwner != Me)
            .OrderBy(r => r.LeaseUntil)
            .Select(r => r.LeaseUntil)
            .FirstOrDefaultAsync(cancellationToken);
        return nextDue is null ? nextLapse : nextLapse is null || nextDue < nextLapse ? nextDue : nextLapse;
    }
}
