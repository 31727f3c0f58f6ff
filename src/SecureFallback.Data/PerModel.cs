using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace SecureFallback.Data;

/// <summary>
/// A compiled query (<see cref="EF.CompileAsyncQuery{TContext, TParam1, TResult}(System.Linq.Expressions.Expression{Func{TContext, TParam1, TResult}})"/>)
/// for each EF Core model it runs on: one compiled query is bound to the first model it ran with and throws on any
/// other, and a process may hold two (SQLite and PostgreSQL contexts side by side, as the test host does).
/// </summary>
/// <typeparam name="TQuery">The compiled query's delegate.</typeparam>
/// <param name="compile">Compiles the query; called once per model.</param>
public sealed class PerModel<TQuery>(Func<TQuery> compile)
    where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _byModel = [];

    /// <summary>The query compiled for <paramref name="db"/>'s model.</summary>
    public TQuery For(DbContext db) => _byModel.GetValue(db.Model, _ => compile());
}
