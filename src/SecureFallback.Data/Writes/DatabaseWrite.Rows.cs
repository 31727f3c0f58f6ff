using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace SecureFallback.Data.Writes;

/// <summary>
/// Set-based writes without change tracking, for the hot paths of delivery (one commit per delivered message):
/// plain parameterised SQL, each value converted by the column's EF Core type mapping (<c>DateTimeOffset</c> as UTC
/// ticks, a <c>Guid</c> as SQLite's text or PostgreSQL's uuid, enums as numbers), so the rows read back exactly as
/// if EF Core had saved them, on SQLite and PostgreSQL alike.
/// </summary>
public sealed partial class DatabaseWrite
{
    /// <summary>Rows one statement carries at most (SQLite allows 32,766 parameters a statement, PostgreSQL 65,535).</summary>
    private const int RowsPerStatement = 500;

    /// <summary>Parameters one statement carries at most, below SQLite's 32,766.</summary>
    private const int MaxParameters = 30_000;

    /// <summary>Bytes of BLOB values one INSERT carries at most (more rows go in the next statement).</summary>
    private const long MaxBytesPerStatement = 64L * 1024 * 1024;

    /// <summary>
    /// Inserts <paramref name="rows"/> in one multi-row INSERT: for new rows whose generated keys nobody reads back
    /// (the intake's messages, recipients and contents; the delivery audit). Every mapped column is written but a
    /// numbered key (an identity: the database numbers the row); a model that needs more of EF's pipeline (a shadow
    /// property, a value generated on add) is refused rather than written wrong.
    /// </summary>
    public async Task InsertAllAsync<T>(IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class
    {
        var (entity, table) = TableOf<T>();
        var columns = entity.GetProperties().Where(p => !IsIdentity(p)).Select(Insertable).ToList();
        var head = $"INSERT INTO {Sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", columns.Select(c => Sql.DelimitIdentifier(c.GetColumnName(table)!)))}) VALUES ";
        await using var factory = _db.Database.GetDbConnection().CreateCommand();
        foreach (var chunk in Statements(rows, columns))
        {
            var text = new StringBuilder(head);
            var parameters = new List<DbParameter>(chunk.Count * columns.Count);
            foreach (var row in chunk)
            {
                text.Append(parameters.Count == 0 ? "(" : ", (");
                text.AppendJoin(", ", columns.Select(column => Parameter(factory, parameters, column, ValueToInsert(column, row))));
                text.Append(')');
            }

            await _db.Database.ExecuteSqlRawAsync(text.ToString(), parameters, cancellationToken);
        }
    }

    /// <summary>
    /// The rows split into statements within the databases' limits: parameters (SQLite allows 32,766 a statement,
    /// PostgreSQL 65,535) and bytes (PostgreSQL refuses a protocol message over 1 GiB: a group of large sealed messages
    /// goes in several statements).
    /// </summary>
    private static IEnumerable<List<T>> Statements<T>(IReadOnlyList<T> rows, List<IProperty> columns)
        where T : class
    {
        var blobs = columns.Where(c => c.ClrType == typeof(byte[])).ToList();
        return Split(rows, Math.Clamp(MaxParameters / columns.Count, 1, RowsPerStatement), MaxBytesPerStatement,
            row => blobs.Sum(c => (long)((c.GetGetter().GetClrValue(row) as byte[])?.Length ?? 0)));
    }

    /// <summary>Consecutive runs of <paramref name="rows"/>, each of at most <paramref name="maxRows"/> rows and <paramref name="maxBytes"/> bytes (a larger row alone).</summary>
    internal static IEnumerable<List<T>> Split<T>(IEnumerable<T> rows, int maxRows, long maxBytes, Func<T, long> sizeOf)
    {
        var chunk = new List<T>();
        long bytes = 0;
        foreach (var row in rows)
        {
            var size = sizeOf(row);
            if (chunk.Count > 0 && (chunk.Count == maxRows || bytes + size > maxBytes))
            {
                yield return chunk;
                (chunk, bytes) = ([], 0);
            }

            chunk.Add(row);
            bytes += size;
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    /// <summary>A Guid key is ours to make: an empty one would be written as such, where SaveChanges makes one up.</summary>
    private static object? ValueToInsert(IProperty column, object row)
    {
        var value = column.GetGetter().GetClrValue(row);
        return value is Guid key && key == Guid.Empty && column.IsPrimaryKey()
            ? throw new InvalidOperationException($"{column.DeclaringType.DisplayName()} row without its {column.Name}.")
            : value;
    }

    private static bool IsIdentity(IProperty property) =>
        property.IsPrimaryKey() && property.ValueGenerated != ValueGenerated.Never && property.ClrType == typeof(long);

    /// <summary>The property, when what EF would write for it is its value as it is (a Guid key is made by us, never by the database).</summary>
    private static IProperty Insertable(IProperty property) =>
        property.IsShadowProperty() ? throw new InvalidOperationException($"{property.DeclaringType.DisplayName()}.{property.Name} is a shadow property: insert it through SaveChanges.")
        : property.ValueGenerated == ValueGenerated.Never || (property.IsPrimaryKey() && property.ClrType == typeof(Guid)) ? property
        : throw new InvalidOperationException($"{property.DeclaringType.DisplayName()}.{property.Name} is generated on add: insert it through SaveChanges.");

    /// <summary>
    /// Writes the properties named <paramref name="properties"/> of each of <paramref name="rows"/> (found by its
    /// key) as they are in memory: one UPDATE a row, all sent as one command.
    /// </summary>
    public async Task UpdateAllAsync<T>(IReadOnlyList<T> rows, IReadOnlyList<string> properties, CancellationToken cancellationToken)
        where T : class
    {
        var (entity, table) = TableOf<T>();
        var key = entity.FindPrimaryKey()!.Properties.Single();
        var columns = properties.Select(name => entity.FindProperty(name) ?? throw new ArgumentException($"{typeof(T).Name} has no mapped property {name}.", nameof(properties))).ToList();
        var head = $"UPDATE {Sql.DelimitIdentifier(table.Name, table.Schema)} SET ";
        await using var factory = _db.Database.GetDbConnection().CreateCommand();
        foreach (var chunk in rows.Chunk(RowsPerStatement / 10))
        {
            var text = new StringBuilder();
            var parameters = new List<DbParameter>(chunk.Length * (columns.Count + 1));
            foreach (var row in chunk)
            {
                text.Append(head).AppendJoin(", ", columns.Select(c => $"{Sql.DelimitIdentifier(c.GetColumnName(table)!)} = {Parameter(factory, parameters, c, c.GetGetter().GetClrValue(row))}"));
                text.Append(" WHERE ").Append(Sql.DelimitIdentifier(key.GetColumnName(table)!)).Append(" = ")
                    .Append(Parameter(factory, parameters, key, key.GetGetter().GetClrValue(row))).Append(';').AppendLine();
            }

            await _db.Database.ExecuteSqlRawAsync(text.ToString(), parameters, cancellationToken);
        }
    }

    /// <summary>Deletes the rows of <typeparamref name="T"/> whose <paramref name="property"/> is one of <paramref name="values"/>.</summary>
    private async Task DeleteWhereInAsync<T, TValue>(string property, IReadOnlyCollection<TValue> values, CancellationToken cancellationToken)
        where T : class
    {
        var (entity, table) = TableOf<T>();
        await using var factory = _db.Database.GetDbConnection().CreateCommand();
        var parameters = new List<DbParameter>(values.Count);
        var text = new StringBuilder("DELETE FROM ").Append(Sql.DelimitIdentifier(table.Name, table.Schema))
            .Append(" WHERE ").Append(InList(factory, parameters, entity.FindProperty(property)!, table, values));
        await _db.Database.ExecuteSqlRawAsync(text.ToString(), parameters, cancellationToken);
    }

    /// <summary>Sets <paramref name="property"/> to <paramref name="value"/> in the rows of <typeparamref name="T"/> whose <paramref name="key"/> is one of <paramref name="keys"/>.</summary>
    private async Task SetWhereInAsync<T, TKey>(string property, object? value, string key, IReadOnlyCollection<TKey> keys, CancellationToken cancellationToken)
        where T : class
    {
        var (entity, table) = TableOf<T>();
        await using var factory = _db.Database.GetDbConnection().CreateCommand();
        var parameters = new List<DbParameter>(keys.Count + 1);
        var column = entity.FindProperty(property)!;
        var text = new StringBuilder("UPDATE ").Append(Sql.DelimitIdentifier(table.Name, table.Schema))
            .Append(" SET ").Append(Sql.DelimitIdentifier(column.GetColumnName(table)!)).Append(" = ").Append(Parameter(factory, parameters, column, value))
            .Append(" WHERE ").Append(InList(factory, parameters, entity.FindProperty(key)!, table, keys));
        await _db.Database.ExecuteSqlRawAsync(text.ToString(), parameters, cancellationToken);
    }

    /// <summary>"<paramref name="column"/> is one of <paramref name="values"/>" in SQL, its parameters added to <paramref name="parameters"/>.</summary>
    private string InList<TValue>(DbCommand factory, List<DbParameter> parameters, IProperty column, StoreObjectIdentifier table, IEnumerable<TValue> values) =>
        $"{Sql.DelimitIdentifier(column.GetColumnName(table)!)} IN ({string.Join(", ", values.Select(v => Parameter(factory, parameters, column, v)))})";

    private static string Parameter(DbCommand factory, List<DbParameter> parameters, IProperty column, object? value)
    {
        // Named with the prefix, as written in the SQL: Microsoft.Data.Sqlite then finds each in a statement at the
        // first look (it tries '@', '$' and ':' for a bare name, per statement of a command); Npgsql takes either.
        var name = "@p" + parameters.Count.ToString(CultureInfo.InvariantCulture);
        parameters.Add(column.GetRelationalTypeMapping().CreateParameter(factory, name, value, column.IsNullable));
        return name;
    }

    private (IEntityType Entity, StoreObjectIdentifier Table) TableOf<T>()
    {
        var entity = _db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not mapped.");
        return (entity, StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema()));
    }

    private ISqlGenerationHelper Sql => _db.GetService<ISqlGenerationHelper>();
}
