using System.Collections.Concurrent;
using SecureFallback.Core.Concurrency;

namespace SecureFallback.Core.Tests;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task CommitAsync_WhenIdle_CommitsTheItemAtOnceAndReturnsAfterIt()
    {
        var committed = new List<IReadOnlyList<int>>();
        var group = new GroupCommit<int>(batch => { committed.Add(batch); return Task.CompletedTask; }, maxBatch: 8);

        await group.CommitAsync([1]);
        await group.CommitAsync([2, 3]);

        Assert.Equal([[1], [2, 3]], committed);
    }

    [Fact]
    public async Task CommitAsync_ItemsArrivingDuringACommit_ShareTheNextOne_AndEachCallerWaitsForItsOwn()
    {
        var firstCommitRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseFirstCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new ConcurrentQueue<IReadOnlyList<int>>();
        var group = new GroupCommit<int>(
            async batch =>
            {
                batches.Enqueue(batch);
                if (batch.Contains(0))
                {
                    firstCommitRunning.SetResult();
                    await releaseFirstCommit.Task;
                }
            },
            maxBatch: 3);

        var first = group.CommitAsync([0]);
        await firstCommitRunning.Task;
        var waiting = Enumerable.Range(1, 5).Select(i => group.CommitAsync([i])).ToList();
        await Task.Delay(50);
        Assert.All(waiting, task => Assert.False(task.IsCompleted)); // not committed yet, so not acknowledged

        releaseFirstCommit.SetResult();
        await Task.WhenAll([first, .. waiting]);

        // Five items in two commits (at most three per commit) instead of five.
        Assert.Equal([[0], [1, 2, 3], [4, 5]], batches.ToList());
    }

    [Fact]
    public async Task CommitAsync_WhenTheCommitFails_EveryCallerInThatBatchSeesTheError_AndLaterCommitsGoOn()
    {
        var fail = true;
        var group = new GroupCommit<int>(_ => fail ? throw new InvalidOperationException("database gone") : Task.CompletedTask, maxBatch: 8);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => group.CommitAsync([1, 2]));
        Assert.Equal("database gone", error.Message);

        fail = false;
        await group.CommitAsync([3]);
    }

    [Fact]
    public async Task CommitAsync_OneItem_CancelledWhileItStillWaits_IsWithdrawnAndNeverCommitted()
    {
        var (running, release, committed, group) = BlockedGroup();
        var first = group.CommitAsync(0, CancellationToken.None);
        await running.Task;

        using var cancel = new CancellationTokenSource();
        var withdrawn = group.CommitAsync(1, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn);

        release.SetResult();
        await first;
        await group.CommitAsync(2, CancellationToken.None);
        Assert.Equal([0, 2], committed.SelectMany(b => b).ToList());
    }

    [Fact]
    public async Task CommitAsync_OneItem_CancelledOnceACommitHasTakenIt_WaitsForThatCommit()
    {
        var (running, release, committed, group) = BlockedGroup();
        using var cancel = new CancellationTokenSource();
        var taken = group.CommitAsync(0, cancel.Token);
        await running.Task; // the commit is reading item 0 now

        await cancel.CancelAsync();
        await Task.Delay(50);
        Assert.False(taken.IsCompleted); // the caller (and whatever item 0 refers to) stays until the commit ends

        release.SetResult();
        await taken;
        Assert.Equal([0], committed.SelectMany(b => b).ToList());
    }

    /// <summary>A group whose first commit blocks until released.</summary>
    private static (TaskCompletionSource Running, TaskCompletionSource Release, ConcurrentQueue<IReadOnlyList<int>> Committed, GroupCommit<int> Group) BlockedGroup()
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var committed = new ConcurrentQueue<IReadOnlyList<int>>();
        var group = new GroupCommit<int>(
            async batch =>
            {
                if (running.TrySetResult())
                {
                    await release.Task;
                }

                committed.Enqueue(batch);
            },
            maxBatch: 8);
        return (running, release, committed, group);
    }
}
