using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>Migration AddressKeys gives rows written before it the keys and look-up names the code computes now.</summary>
public sealed class AddressKeyMigrationTests
{
    [Fact]
    public async Task AddressKeys_BackfillsGrantKeys_AndRecomputesAccountLookupNames_InTheAsciiRule()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        try
        {
            await using var db = await NewContextAsync(dataDirectory);
            var migrations = db.Database.GetMigrations().ToList();
            var before = migrations[migrations.FindIndex(m => m.EndsWith("_AddressKeys", StringComparison.Ordinal)) - 1];
            await db.GetService<IMigrator>().MigrateAsync(before);

            // Rows as the code before the migration wrote them: Identity's look-up names in Unicode upper case.
            await InsertGrantAsync(db, "JÜRGEN@plain.test");
            await InsertGrantAsync(db, "MiXeD.Case@Plain.TEST"); // issued before the domain was lower-cased
            await InsertUserAsync(db, "jürgen@plain.test", "JÜRGEN@PLAIN.TEST");
            await InsertUserAsync(db, "MiXeD.Case@plain.test", "MIXED.CASE@PLAIN.TEST");
            await db.Database.MigrateAsync();

            var keys = await db.PickupGrants.AsNoTracking().OrderBy(g => g.CreatedAt).Select(g => g.AddressKey).ToListAsync();
            Assert.Equal(["jÜrgen@plain.test", "mixed.case@plain.test"], keys);
            Assert.Equal(
                ["JüRGEN@PLAIN.TEST", "MIXED.CASE@PLAIN.TEST"],
                await db.Users.AsNoTracking().OrderBy(u => u.CreatedAt).Select(u => u.NormalizedUserName).ToListAsync());
            Assert.Equal(
                ["JüRGEN@PLAIN.TEST", "MIXED.CASE@PLAIN.TEST"],
                await db.Users.AsNoTracking().OrderBy(u => u.CreatedAt).Select(u => u.NormalizedEmail).ToListAsync());
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task<SecureFallbackDbContext> NewContextAsync(string dataDirectory)
    {
        var options = new DbContextOptionsBuilder<SecureFallbackDbContext>().UseApplicationServiceProvider(IdentitySchema.DesignTimeServices());
        if (TestDatabase.IsPostgres)
        {
            var name = TestDatabase.DatabaseNameFor(dataDirectory);
            await using (var connection = new NpgsqlConnection(TestDatabase.PostgresConnectionString("postgres")))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                await create.ExecuteNonQueryAsync();
            }

            options.UseNpgsql(TestDatabase.PostgresConnectionString(name), npgsql => npgsql.MigrationsAssembly(DatabaseProvider.PostgresMigrationsAssembly));
        }
        else
        {
            options.UseSqlite($"Data Source={Path.Combine(dataDirectory, "migration.db")};Pooling=False");
        }

        return new SecureFallbackDbContext(options.Options);
    }

    private static long _clock = DateTimeOffset.UnixEpoch.UtcTicks;

    private static async Task InsertGrantAsync(SecureFallbackDbContext db, string address)
    {
        var id = Guid.NewGuid();
        var created = ++_clock;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "PickupGrants" ("Id", "RecipientId", "MessageId", "Address", "TokenHash", "ReferenceCode", "CreatedAt", "ExpiresAt",
                "ReadReceiptPending", "PinRequired", "PinFailures", "FirstReadAccountCreatedHere", "ReopenCount")
            VALUES ({IdOf(id)}, {created}, {IdOf(Guid.NewGuid())}, {address}, {id.ToByteArray()}, {id.ToString()[..11]}, {created}, {created + 1},
                {false}, {false}, {0}, {false}, {0})
            """);
    }

    private static async Task InsertUserAsync(SecureFallbackDbContext db, string address, string unicodeUpper)
    {
        var created = ++_clock;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO "AspNetUsers" ("Id", "UserName", "NormalizedUserName", "Email", "NormalizedEmail", "EmailConfirmed", "PhoneNumberConfirmed",
                "TwoFactorEnabled", "LockoutEnabled", "AccessFailedCount", "CreatedAt", "DisownReportPending")
            VALUES ({Guid.NewGuid().ToString()}, {address}, {unicodeUpper}, {address}, {unicodeUpper}, {true}, {false},
                {false}, {true}, {0}, {created}, {false})
            """);
    }

    /// <summary>A GUID as each provider stores it (SQLite: upper-case text).</summary>
    private static object IdOf(Guid id) => TestDatabase.IsPostgres ? id : id.ToString().ToUpperInvariant();
}
