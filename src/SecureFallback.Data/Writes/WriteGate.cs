namespace SecureFallback.Data.Writes;

/// <summary>
/// Serialises this process's write transactions. SQLite allows one writer at a time and answers a second with
/// SQLITE_BUSY, whose handler sleeps in growing steps (up to 100 ms) — a latency cliff when the intake and the
/// delivery worker write at once. Queuing writers here in FIFO order keeps each wait to the length of the
/// transaction ahead. (PostgreSQL does not need it, but the gate costs next to nothing there.)
/// </summary>
/// <remarks>
/// Nobody enters it by hand: <see cref="WriteGateInterceptor"/> holds it around every save made outside a write,
/// and <see cref="SecureFallbackDbContext.BeginWriteAsync"/> holds it for the whole of a write transaction.
/// </remarks>
internal sealed class WriteGate
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        return new Release(_gate);
    }

    public IDisposable Enter()
    {
        _gate.Wait();
        return new Release(_gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
