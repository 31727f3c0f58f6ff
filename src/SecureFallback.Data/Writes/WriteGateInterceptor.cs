using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SecureFallback.Data.Writes;

/// <summary>
/// Puts every write of this process through the <see cref="WriteGate"/>, so no writer can forget it: a save made
/// outside a write transaction holds the gate for the save, and a transaction may only begin on a context that
/// holds it (<see cref="SecureFallbackDbContext.BeginWriteAsync"/>); one begun any other way fails loudly.
/// </summary>
internal sealed class WriteGateInterceptor(WriteGate gate) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    public WriteGate Gate => gate;

    public async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is SecureFallbackDbContext { WriteHold: null } db)
        {
            db.SaveHold = await gate.EnterAsync(cancellationToken);
            db.WriteHold = db.SaveHold;
        }

        return result;
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is SecureFallbackDbContext { WriteHold: null } db)
        {
            db.SaveHold = gate.Enter();
            db.WriteHold = db.SaveHold;
        }

        return result;
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        EndSave(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        EndSave(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => EndSave(eventData.Context);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        EndSave(eventData.Context);
        return Task.CompletedTask;
    }

    public void SaveChangesCanceled(DbContextEventData eventData) => EndSave(eventData.Context);

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        EndSave(eventData.Context);
        return Task.CompletedTask;
    }

    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        RequireHold(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        RequireHold(eventData.Context);
        return ValueTask.FromResult(result);
    }

    /// <summary>EF Core's own transaction inside a save runs under the save's hold; any other needs a write.</summary>
    private static void RequireHold(DbContext? context)
    {
        if (context is SecureFallbackDbContext { WriteHold: null })
        {
            throw new InvalidOperationException(
                "A write transaction must begin with SecureFallbackDbContext.BeginWriteAsync, which holds the write gate.");
        }
    }

    private static void EndSave(DbContext? context)
    {
        if (context is SecureFallbackDbContext { SaveHold: { } hold } db)
        {
            (db.SaveHold, db.WriteHold) = (null, null);
            hold.Dispose();
        }
    }
}
