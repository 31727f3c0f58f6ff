using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// The intake writes its rows with plain inserts built from the EF model, not with SaveChanges: every column must
/// hold what SaveChanges would have written (value converters, provider types), on SQLite and PostgreSQL alike.
/// </summary>
public sealed class IntakeRowsTests
{
    [Fact]
    public async Task MessageTakenInBySmtp_IsStoredColumnForColumn_AsSaveChangesStoresTheSameEntities()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Roles"] = "Intake", // nothing changes the rows after the commit
        });
        await server.SendAsync("alice@sender.test", ["bob@one.test", "carol@two.test"], "Rows", "Columns as EF writes them.");

        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var stored = await db.Messages.AsNoTracking().Include(m => m.Recipients).SingleAsync();
        var content = await db.MessageContents.AsNoTracking().SingleAsync();
        var storedId = stored.Id;

        // The same entities, read back through EF, saved again by SaveChanges under a new key.
        var copyId = Guid.CreateVersion7();
        stored.Id = copyId;
        foreach (var recipient in stored.Recipients)
        {
            (recipient.Id, recipient.MessageId) = (0, copyId);
        }

        content.MessageId = copyId;
        db.Messages.Add(stored);
        db.MessageContents.Add(content);
        await db.SaveChangesAsync();

        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        await AssertSameColumnsAsync(connection, "Messages", "Id", storedId, copyId, except: ["Id"]);
        await AssertSameColumnsAsync(connection, "Recipients", "MessageId", storedId, copyId, except: ["Id", "MessageId"]);
        await AssertSameColumnsAsync(connection, "MessageContents", "MessageId", storedId, copyId, except: ["MessageId"]);
    }

    /// <summary>The rows of <paramref name="table"/> for each message, ordered, compared as the database holds them.</summary>
    private static async Task AssertSameColumnsAsync(DbConnection connection, string table, string messageColumn, Guid stored, Guid copy, string[] except)
    {
        var rows = await RowsAsync(connection, table, except);
        // Guids are stored as text on SQLite and as uuid on PostgreSQL: group by the key column's own value.
        var byMessage = rows.GroupBy(r => r[messageColumn]?.ToString()?.ToUpperInvariant()).ToDictionary(g => g.Key!, g => g.ToList());
        var ours = byMessage[stored.ToString().ToUpperInvariant()];
        var theirs = byMessage[copy.ToString().ToUpperInvariant()];
        Assert.Equal(theirs.Count, ours.Count);
        for (var i = 0; i < ours.Count; i++)
        {
            foreach (var (column, value) in theirs[i].Where(c => !except.Contains(c.Key)))
            {
                Assert.True(Equals(value, ours[i][column]), $"{table}.{column}: SaveChanges wrote {Show(value)}, the intake {Show(ours[i][column])}");
            }
        }
    }

    private static async Task<List<Dictionary<string, object?>>> RowsAsync(DbConnection connection, string table, string[] except)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\""; // our own table names
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                row[reader.GetName(i)] = value is byte[] bytes ? Convert.ToHexString(bytes) : value;
            }

            rows.Add(row);
        }

        // One message's rows in a stable order that does not depend on the columns left out.
        return [.. rows.OrderBy(r => string.Join("|", r.Where(c => !except.Contains(c.Key)).Select(c => Show(c.Value))), StringComparer.Ordinal)];
    }

    private static string Show(object? value) => value is null ? "NULL" : $"{value} ({value.GetType().Name})";
}
