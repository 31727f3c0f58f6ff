using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using SecureFallback.Data.Writes;

namespace SecureFallback.Data;

/// <summary>
/// Writes take their turn at this process's <see cref="WriteGate"/>: a save outside a write holds it for the save
/// (released in a <c>finally</c>, whatever the save throws), and a write transaction holds it from
/// <see cref="BeginWriteAsync"/> until its <see cref="DatabaseWrite"/> is disposed.
/// </summary>
public sealed partial class SecureFallbackDbContext
{
    private WriteGate? _gate;
    private bool _gateLookedUp;

    /// <summary>The gate this context holds, for a write transaction or a single save; null when none.</summary>
    internal IDisposable? WriteHold { get; private set; }

    /// <summary>The current write transaction deleted sealed content (see <see cref="SqliteWalCheckpointer"/>).</summary>
    internal bool PurgedContent { get; set; }

    /// <summary>
    /// Begins a write transaction, after the writes of this process ahead of it (see <see cref="WriteDurability"/>
    /// for <paramref name="durability"/>). Every transaction that writes goes through here; plain saves outside one
    /// take their turn by themselves.
    /// </summary>
    public async Task<DatabaseWrite> BeginWriteAsync(WriteDurability durability, CancellationToken cancellationToken)
    {
        if (durability == WriteDurability.Relaxed)
        {
            await this.UseRelaxedDurabilityAsync(cancellationToken);
        }

        var hold = await EnterAsync(cancellationToken);
        try
        {
            return new DatabaseWrite(this, await Database.BeginTransactionAsync(cancellationToken), hold);
        }
        catch
        {
            ReleaseWriteHold(hold);
            throw;
        }
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        if (WriteHold is not null)
        {
            return base.SaveChanges(acceptAllChangesOnSuccess);
        }

        var hold = Enter();
        try
        {
            return base.SaveChanges(acceptAllChangesOnSuccess);
        }
        finally
        {
            ReleaseWriteHold(hold);
        }
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        if (WriteHold is not null)
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }

        var hold = await EnterAsync(cancellationToken);
        try
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
        finally
        {
            ReleaseWriteHold(hold);
        }
    }

    /// <summary>A pooled context never goes back to the pool holding the gate (a write left undisposed).</summary>
    public override void Dispose()
    {
        ReleaseWriteHold(WriteHold);
        base.Dispose();
    }

    /// <inheritdoc cref="Dispose"/>
    public override ValueTask DisposeAsync()
    {
        ReleaseWriteHold(WriteHold);
        return base.DisposeAsync();
    }

    /// <summary>Runs work that begins its own transactions (migrations) holding the write gate.</summary>
    internal async Task HoldingWriteGateAsync(Func<Task> work, CancellationToken cancellationToken)
    {
        var hold = await EnterAsync(cancellationToken);
        try
        {
            await work();
        }
        finally
        {
            ReleaseWriteHold(hold);
        }
    }

    /// <summary>Releases <paramref name="hold"/>, and marks the context free if that is the hold it has.</summary>
    internal void ReleaseWriteHold(IDisposable? hold)
    {
        if (ReferenceEquals(WriteHold, hold))
        {
            WriteHold = null;
        }

        hold?.Dispose();
    }

    private async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        RequireNotWriting();
        WriteHold = Gate is { } gate ? await gate.EnterAsync(cancellationToken) : NoGate.Instance;
        return WriteHold;
    }

    private IDisposable Enter()
    {
        RequireNotWriting();
        WriteHold = Gate is { } gate ? gate.Enter() : NoGate.Instance;
        return WriteHold;
    }

    private void RequireNotWriting()
    {
        if (WriteHold is not null)
        {
            throw new InvalidOperationException("This context is already writing.");
        }
    }

    /// <summary>The process's gate, which the <see cref="WriteGateInterceptor"/> registered by Data carries; none in design-time contexts.</summary>
    private WriteGate? Gate
    {
        get
        {
            if (!_gateLookedUp)
            {
                _gate = this.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?
                    .Interceptors?.OfType<WriteGateInterceptor>().FirstOrDefault()?.Gate;
                _gateLookedUp = true;
            }

            return _gate;
        }
    }

    /// <summary>Marks a context writing where no gate is configured (design-time and tool contexts).</summary>
    private sealed class NoGate : IDisposable
    {
        public static readonly NoGate Instance = new();

        public void Dispose()
        {
        }
    }
}
