using System.Collections.Concurrent;

namespace SecureFallback.Core.Concurrency;

/// <summary>
/// Group commit, as databases do it for their log: callers hand in items and wait until they are committed; a
/// caller that finds no commit running commits everything waiting. When idle each item is committed at once;
/// under load one transaction carries the items of every connection that finished meanwhile, so the cost per
/// item stays that of a batch while no item waits longer than the commit ahead of it.
/// </summary>
public sealed class GroupCommit<T>(Func<IReadOnlyList<T>, Task> commit, int maxBatch)
{
    private readonly ConcurrentQueue<Entry> _waiting = new();
    private readonly SemaphoreSlim _committer = new(1, 1);

    /// <summary>
    /// Returns once <paramref name="items"/> are committed, or throws what their commit threw. There is no
    /// cancellation on purpose: once handed in, an item's fate must be known to its caller — a delivery outcome
    /// recorded even during shutdown is what keeps the mail from being sent again, and an accepted message's
    /// content (which may live in the caller's buffers) must not be read after the caller has gone.
    /// </summary>
    public async Task CommitAsync(IReadOnlyList<T> items)
    {
        var entries = items.Select(item => new Entry(item)).ToList();
        entries.ForEach(_waiting.Enqueue);
        foreach (var entry in entries)
        {
            while (!entry.Committed.Task.IsCompleted)
            {
                await _committer.WaitAsync();
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
    }

    private async Task CommitWaitingAsync()
    {
        var batch = new List<Entry>();
        while (batch.Count < maxBatch && _waiting.TryDequeue(out var next))
        {
            batch.Add(next);
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
        public T Item { get; } = item;

        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
