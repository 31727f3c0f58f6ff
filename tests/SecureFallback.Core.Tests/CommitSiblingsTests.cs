using System.Collections.Concurrent;
using SecureFallback.Core.Concurrency;

namespace SecureFallback.Core.Tests;

public sealed class CommitSiblingsTests
{
    /// <summary>Long enough that a test waiting this long has failed; the waits below end on a sibling's hand-in, not a clock.</summary>
    private static readonly TimeSpan Never = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Commit_WhileASiblingIsWorking_WaitsForItsItem_AndCarriesBothInOneCommit()
    {
        var siblings = new CommitSiblings(TimeProvider.System, Never, Never);
        var batches = new ConcurrentQueue<IReadOnlyList<int>>();
        var group = new GroupCommit<int>(batch => { batches.Enqueue(batch); return Task.CompletedTask; }, 8, siblings.GatherAsync);
        using var first = siblings.Join();
        using var second = siblings.Join();
        second.Working();

        first.HandedIn();
        var firstCommitted = group.CommitAsync([1]);
        await Task.Delay(50);
        Assert.Empty(batches); // the commit waits for the sibling at work

        second.HandedIn();
        await Task.WhenAll(firstCommitted, group.CommitAsync([2])).WaitAsync(Guard);

        Assert.Equal([[1, 2]], batches.ToList());
    }

    [Fact]
    public async Task Commit_DoesNotWaitForASiblingWhoseOwnItemItCarries_NorForOneThatLeft()
    {
        var siblings = new CommitSiblings(TimeProvider.System, Never, Never);
        var batches = new ConcurrentQueue<IReadOnlyList<int>>();
        var group = new GroupCommit<int>(batch => { batches.Enqueue(batch); return Task.CompletedTask; }, 8, siblings.GatherAsync);
        var connection = siblings.Join();
        var gone = siblings.Join();
        gone.Working();
        gone.Dispose();

        // The connection hands in one item and works on the next while it commits (the delivery pipeline).
        connection.HandedIn();
        var committing = group.CommitAsync([1]);
        connection.Working();

        await committing.WaitAsync(Guard);
        Assert.Equal([[1]], batches.ToList());
        connection.Dispose();
    }

    [Fact]
    public async Task Commit_DoesNotWaitForASiblingThatHasWorkedLongerThanQuickWork()
    {
        var siblings = new CommitSiblings(TimeProvider.System, Never, quickWork: TimeSpan.Zero);
        var batches = new ConcurrentQueue<IReadOnlyList<int>>();
        var group = new GroupCommit<int>(batch => { batches.Enqueue(batch); return Task.CompletedTask; }, 8, siblings.GatherAsync);
        using var slow = siblings.Join();
        slow.Working();

        await group.CommitAsync([1]).WaitAsync(Guard);

        Assert.Equal([[1]], batches.ToList());
    }

    [Fact]
    public async Task Commit_WaitsForASiblingAtWorkNoLongerThanMostWait()
    {
        var siblings = new CommitSiblings(TimeProvider.System, mostWait: TimeSpan.FromMilliseconds(1), Never);
        var batches = new ConcurrentQueue<IReadOnlyList<int>>();
        var group = new GroupCommit<int>(batch => { batches.Enqueue(batch); return Task.CompletedTask; }, 8, siblings.GatherAsync);
        using var working = siblings.Join();
        working.Working();

        await group.CommitAsync([1]).WaitAsync(Guard);

        Assert.Equal([[1]], batches.ToList());
    }
}
