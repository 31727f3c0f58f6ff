using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SecureFallback.Data.Writes;

/// <summary>
/// Carries this process's <see cref="WriteGate"/> to every context, and refuses a transaction begun on a context
/// that does not hold it, so no writer can skip the gate: write transactions begin with
/// <see cref="SecureFallbackDbContext.BeginWriteAsync"/> (EF Core's own transaction inside a save runs under the
/// save's hold).
/// </summary>
internal sealed class WriteGateInterceptor(WriteGate gate) : IDbTransactionInterceptor
{
    public WriteGate Gate => gate;

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

    private static void RequireHold(DbContext? context)
    {
        if (context is SecureFallbackDbContext { WriteHold: null })
        {
            throw new InvalidOperationException(
                "A write transaction must begin with SecureFallbackDbContext.BeginWriteAsync, which holds the write gate.");
        }
    }
}
