using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Intake;
using SecureFallback.Data.Intake;

namespace SecureFallback.Data;

/// <summary>Registers the database, the migrator and the durable intake queue.</summary>
public static class DataServiceCollectionExtensions
{
    public static IServiceCollection AddSecureFallbackData(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName);
        services.AddDbContext<SecureFallbackDbContext>((sp, options) =>
            options.UseSqlite(BuildConnectionString(sp)).AddInterceptors(new SqlitePragmaInterceptor()));

        services.AddSingleton<DatabaseReadiness>();
        services.AddSingleton<WriteGate>();
        services.AddHostedService<DatabaseMigrator>();

        services.AddSingleton<GroupCommitIntake>();
        services.AddSingleton<IMessageIntake>(sp => sp.GetRequiredService<GroupCommitIntake>());
        services.AddHostedService(sp => sp.GetRequiredService<GroupCommitIntake>());
        return services;
    }

    private static string BuildConnectionString(IServiceProvider services)
    {
        var dataDirectory = services.GetRequiredService<IOptions<DataDirectoryOptions>>().Value;
        var database = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var path = dataDirectory.Resolve(database.SqlitePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }
}
