using System.Collections.Concurrent;

namespace SecureFallback.Core.Concurrency;

/// <summary>
/// Group commit, as databases do it for their log: callers hand in items and wait until they are committed; a
/// caller that finds no commit running commits everything waiting. When idle each item is committed at once;
/// under load one transaction carries the items of every connection that finished meanwhile, so the cost per
/// item stays that of a batch while no item waits longer than the commit ahead of it (and that commit's gather). With
/// <paramref name="gather"/> a commit that has room first waits for it (say, <see cref="CommitSiblings.GatherAsync"/>),
/// so items about to arrive share it.
/// </summary>
/// <param name="commit">Commits a batch.</param>
/// <param name="maxBatch">Items one commit carries at most.</param>
/// <param name="gather">Awaited by a commit before it takes the waiting items; null takes them at once.</param>
public sealed class GroupCommit<T>(Func<IReadOnlyList<T>, Task> commit, int maxBatch, Func<Task>? gather = null)
{
    private readonly ConcurrentQueue<Entry> _waiting = new();
    private readonly SemaphoreSlim _committer = new(1, 1);

    /// <summary>
    /// Returns once <paramref name="items"/> are committed, or throws what their commit threw. There is no
    /// cancellation on purpose: what is handed in here describes mail already sent, and recording it even during
    /// shutdown is what keeps it from being sent again.
    /// </summary>
    public async Task CommitAsync(IReadOnlyList<T> items)
    {
        var entries = items.Select(item => new Entry(item)).ToList();
        entries.ForEach(_waiting.Enqueue);
        foreach (var entry in entries)
        {
            await AwaitAsync(entry, CancellationToken.None);
        }
    }

    /// <summary>
    /// Returns once <paramref name="item"/> is committed, or throws what its commit threw.
    /// <paramref name="cancellationToken"/> withdraws the item only while no commit has taken it yet; from then on
    /// the caller waits for that commit's outcome, so whatever the item refers to (a session's buffer, say) is never
    /// read after the caller has gone.
    /// </summary>
    /// <exception cref="OperationCanceledException">The item was withdrawn before any commit took it.</exception>
    public async Task CommitAsync(T item, CancellationToken cancellationToken)
    {
        var entry = new Entry(item);
        _waiting.Enqueue(entry);
        await AwaitAsync(entry, cancellationToken);
    }

    private async Task AwaitAsync(Entry entry, CancellationToken cancellationToken)
    {
        while (!entry.Committed.Task.IsCompleted)
        {
            try
            {
                await _committer.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (entry.TryWithdraw())
            {
                throw;
            }
            catch (OperationCanceledException)
            {
                cancellationToken = CancellationToken.None; // a commit has it: see that commit through
                continue;
            }

            try
            {
                if (!entry.Committed.Task.IsCompleted)
                {
                    await CommitWaitingAsync();
                }
            }
            finally
            {
                _committer.Release();
            }
        }

        await entry.Committed.Task;
    }

    private async Task CommitWaitingAsync()
    {
        if (gather is not null && _waiting.Count < maxBatch)
        {
            try
            {
                await gather(); // items handed in meanwhile join this commit
            }
            catch (Exception)
            {
                // Gathering only makes commits fuller; whatever went wrong there, the waiting items are committed now.
            }
        }

        var batch = new List<Entry>();
        while (batch.Count < maxBatch && _waiting.TryDequeue(out var next))
        {
            if (next.TryTake())
            {
                batch.Add(next);
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            await commit([.. batch.Select(e => e.Item)]);
            batch.ForEach(e => e.Committed.TrySetResult());
        }
        catch (Exception ex)
        {
            batch.ForEach(e => e.Committed.TrySetException(ex));
        }
    }

    private sealed class Entry(T item)
    {
        private const int Waiting = 0, Taken = 1, Withdrawn = 2;
        private int _state;

        public T Item { get; } = item;

        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>A commit takes the item; false when its caller withdrew it first.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Waiting) == Waiting;

        /// <summary>The caller withdraws the item; false when a commit took it first.</summary>
        public bool TryWithdraw() => Interlocked.CompareExchange(ref _state, Withdrawn, Waiting) == Waiting;
    }
}
