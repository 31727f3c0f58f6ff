namespace SecureFallback.Core.Concurrency;

/// <summary>
/// The producers feeding one <see cref="GroupCommit{T}"/> that will hand in an item soon, so a commit may wait a
/// moment for them and carry their items too (PostgreSQL's <c>commit_delay</c> with <c>commit_siblings</c>, for
/// producers we know of). A producer counts while it is working on an item (<see cref="Producer.Working"/>) and none of
/// its items waits to be committed: a producer whose item the commit carries waits for that commit, so it is never
/// waited for. Nor is one that has been working longer than the quick work it is waited for: a slow connection must not
/// hold up everyone else's commits.
/// </summary>
/// <param name="timeProvider">The clock; its monotonic timestamps time the waits (a wall clock stepped back must not stretch them).</param>
/// <param name="mostWait">How long a commit waits for siblings at most.</param>
/// <param name="quickWork">Work that takes longer than this is not waited for.</param>
public sealed class CommitSiblings(TimeProvider timeProvider, TimeSpan mostWait, TimeSpan quickWork)
{
    private readonly TimeProvider _timeProvider = timeProvider;
    private readonly Lock _lock = new();
    private readonly HashSet<Producer> _producers = [];
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>A producer joins; disposing it leaves.</summary>
    public Producer Join()
    {
        var producer = new Producer(this);
        lock (_lock)
        {
            _producers.Add(producer);
        }

        return producer;
    }

    /// <summary>
    /// Returns once no sibling is expected to hand in an item any more, or after at most the longest wait; the
    /// commit then takes what has been handed in meanwhile.
    /// </summary>
    public async Task GatherAsync()
    {
        var started = _timeProvider.GetTimestamp();
        while (true)
        {
            Task changed;
            TimeSpan left;
            lock (_lock)
            {
                var now = _timeProvider.GetTimestamp();
                left = mostWait - _timeProvider.GetElapsedTime(started, now);
                if (left <= TimeSpan.Zero || !_producers.Any(p => p.IsExpected(now, quickWork)))
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(left, _timeProvider).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void Changed(Action change)
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            change();
            (signal, _changed) = (_changed, NewSignal());
        }

        signal.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One producer (a delivery connection): it works on an item, hands it in, and learns of its commit.</summary>
    public sealed class Producer : IDisposable
    {
        private readonly CommitSiblings _siblings;
        private long? _workingSince;
        private int _waiting;

        internal Producer(CommitSiblings siblings) => _siblings = siblings;

        /// <summary>Starts work whose item will be handed in.</summary>
        public void Working()
        {
            var now = _siblings._timeProvider.GetTimestamp();
            lock (_siblings._lock)
            {
                _workingSince = now;
            }
        }

        /// <summary>The item is handed in: it waits for a commit, and this producer's work on it ended.</summary>
        public void HandedIn() => _siblings.Changed(() => (_workingSince, _waiting) = (null, _waiting + 1));

        /// <summary>A commit carried one of this producer's items (or failed with it). Called by the commit, before the next one gathers.</summary>
        public void Committed()
        {
            lock (_siblings._lock)
            {
                _waiting--;
            }
        }

        public void Dispose() => _siblings.Changed(() => _siblings._producers.Remove(this));

        internal bool IsExpected(long now, TimeSpan quickWork) =>
            _workingSince is { } since && _waiting == 0 && _siblings._timeProvider.GetElapsedTime(since, now) < quickWork;
    }
}
