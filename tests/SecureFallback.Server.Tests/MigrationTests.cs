using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// The migrations build exactly the model: a migration made on a branch in parallel with another can rebuild a
/// SQLite table from its own, older picture of the model and silently drop the other branch's column.
/// </summary>
public sealed class MigrationTests
{
    [Fact]
    public async Task EveryColumnOfTheModel_ExistsInTheMigratedDatabase()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();

        var missing = new List<string>();
        foreach (var entity in db.Model.GetEntityTypes().Where(e => e.GetTableName() is not null))
        {
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            foreach (var column in entity.GetProperties().Select(p => p.GetColumnName(table)).OfType<string>())
            {
                try
                {
                    var probe = $"SELECT \"{column}\" FROM \"{table.Name}\" WHERE 1 = 0"; // names from our own model
                    await db.Database.ExecuteSqlRawAsync(probe);
                }
                catch (Exception ex) when (ex is System.Data.Common.DbException)
                {
                    missing.Add($"{table.Name}.{column}");
                }
            }
        }

        Assert.Empty(missing);
    }
}
