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

    [Fact]
    public async Task Commit_WaitsNoLongerThanMostWait_WhenTheWallClockStepsBackMeanwhile()
    {
        // NTP steps the wall clock back an hour while a commit gathers: the wait is a pause of the machine, so it is
        // timed on the monotonic clock and stays a moment.
        var siblings = new CommitSiblings(new SteppingBackClock(), mostWait: TimeSpan.FromMilliseconds(5), Never);
        var group = new GroupCommit<int>(_ => Task.CompletedTask, 8, siblings.GatherAsync);
        using var working = siblings.Join();
        working.Working();

        await group.CommitAsync([1]).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Commit_OfAFullBatch_DoesNotGather()
    {
        var siblings = new CommitSiblings(TimeProvider.System, Never, Never);
        var group = new GroupCommit<int>(_ => Task.CompletedTask, 2, siblings.GatherAsync);
        using var working = siblings.Join();
        working.Working();

        // Two items already wait, as many as one commit carries: waiting for a third would only add latency.
        await group.CommitAsync([1, 2]).WaitAsync(Guard);
    }

    /// <summary>The wall clock as it is for the first two readings (the work's start, the gather's start), an hour earlier after.</summary>
    private sealed class SteppingBackClock : TimeProvider
    {
        private int _readings;

        public override DateTimeOffset GetUtcNow() =>
            Interlocked.Increment(ref _readings) <= 2 ? base.GetUtcNow() : base.GetUtcNow() - TimeSpan.FromHours(1);
    }
}
