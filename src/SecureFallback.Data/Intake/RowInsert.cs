using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace SecureFallback.Data.Intake;

/// <summary>
/// New rows of one entity type in one multi-row <c>INSERT</c>, without EF Core's change tracking and update pipeline
/// (most of an intake commit's time while the write gate is held, which every session waits behind). Mapped by EF's own
/// model: table, columns, value converters and provider parameter types come from it, so the rows are those
/// <c>SaveChanges</c> writes, on SQLite and PostgreSQL alike. A key the database generates is left to it; a model
/// that needs more of EF's pipeline (shadow or other generated properties) is refused when the insert is built.
/// </summary>
internal sealed class RowInsert
{
    // SQLite allows 32,766 parameters in one statement, PostgreSQL 65,535: a message has about 20 columns.
    private const int MaxParameters = 30_000;

    private readonly string _insertInto;
    private readonly IReadOnlyList<(IProperty Property, RelationalTypeMapping Mapping)> _columns;

    private RowInsert(string insertInto, IReadOnlyList<(IProperty, RelationalTypeMapping)> columns) =>
        (_insertInto, _columns) = (insertInto, columns);

    public static RowInsert For<T>(DbContext db)
    {
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        var columns = new List<(IProperty, RelationalTypeMapping)>();
        foreach (var property in entity.GetProperties())
        {
            if (property.IsShadowProperty())
            {
                throw new InvalidOperationException($"{entity.DisplayName()}.{property.Name} is a shadow property: insert it through SaveChanges.");
            }

            if (property.ValueGenerated != ValueGenerated.Never)
            {
                if (property.IsPrimaryKey() && property.ClrType == typeof(long))
                {
                    continue; // an identity: the database numbers the row
                }

                if (!(property.IsPrimaryKey() && property.ClrType == typeof(Guid)))
                {
                    throw new InvalidOperationException($"{entity.DisplayName()}.{property.Name} is generated on add: insert it through SaveChanges.");
                }
            }

            columns.Add((property, property.GetRelationalTypeMapping()));
        }

        var names = string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.Item1.GetColumnName(table)!)));
        return new RowInsert($"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({names}) VALUES ", columns);
    }

    /// <summary>Inserts <paramref name="rows"/> inside the context's current transaction.</summary>
    public async Task InsertAsync<T>(DbContext db, IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class
    {
        var perStatement = Math.Max(1, MaxParameters / _columns.Count);
        foreach (var part in rows.Chunk(perStatement))
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            command.CommandText = Build(command, part);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private string Build<T>(DbCommand command, T[] rows)
    {
        var text = new StringBuilder(_insertInto);
        var index = 0;
        for (var row = 0; row < rows.Length; row++)
        {
            text.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < _columns.Count; column++)
            {
                var (property, mapping) = _columns[column];
                var name = "@p" + index++;
                // CreateParameter applies the property's value converter and the provider's parameter type.
                command.Parameters.Add(mapping.CreateParameter(command, name, property.GetGetter().GetClrValue(rows[row]!), property.IsNullable));
                text.Append(column == 0 ? name : ", " + name);
            }

            text.Append(')');
        }

        return text.ToString();
    }
}
