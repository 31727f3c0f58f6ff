using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Intake;
using SecureFallback.Data.Content;
using SecureFallback.Data.Intake;
using SecureFallback.Data.Queue;
using SecureFallback.Data.Writes;

namespace SecureFallback.Data;

/// <summary>Registers the database, the migrator and the durable intake queue.</summary>
public static class DataServiceCollectionExtensions
{
    /// <param name="services">The container.</param>
    /// <param name="listenForQueueWork">
    /// Whether this instance delivers (role <c>Delivery</c>): on PostgreSQL it then listens for work other instances
    /// commit. Every instance announces what it commits.
    /// </param>
    public static IServiceCollection AddSecureFallbackData(this IServiceCollection services, bool listenForQueueWork = false)
    {
        services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
                options.ConnectionString ??= configuration.GetConnectionString(DatabaseOptions.ConnectionStringName))
            .Validate(
                o => o.IsPostgres || string.Equals(o.Provider, DatabaseProvider.Sqlite, StringComparison.OrdinalIgnoreCase),
                "SecureFallback:Database:Provider must be sqlite or postgres.")
            .Validate(
                o => !o.IsPostgres || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "SecureFallback:Database:Provider=postgres needs ConnectionStrings:SecureFallback (e.g. \"Host=db;Database=securefallback;Username=securefallback;Password=...\").")
            .ValidateOnStart();
        // Pooled: a queue runner opens several contexts per delivered batch, and building each one's internal
        // services (DI scope, change tracker, options) was ~15% of delivery CPU in a profile.
        services.Configure<Microsoft.AspNetCore.Identity.IdentityOptions>(IdentitySchema.Configure);
        services.AddDbContextPool<SecureFallbackDbContext>((sp, options) =>
        {
            var database = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            if (database.IsPostgres)
            {
                options.UseNpgsql(database.ConnectionString, npgsql => npgsql.MigrationsAssembly(DatabaseProvider.PostgresMigrationsAssembly))
                    .AddInterceptors(sp.GetRequiredService<WriteGateInterceptor>());
            }
            else
            {
                options.UseSqlite(BuildSqliteConnectionString(sp)).AddInterceptors(
                    SqlitePragmaInterceptor.Instance, sp.GetRequiredService<WriteGateInterceptor>(), sp.GetRequiredService<SqliteWalCheckpointer>());
            }
        });

        services.AddSingleton<DatabaseReadiness>();
        services.AddSingleton<WriteGate>();
        services.AddSingleton<WriteGateInterceptor>();
        services.AddSingleton<SqliteWalCheckpointer>();
        services.AddSingleton<DatabaseMigrator>();
        services.AddHostedService(sp => sp.GetRequiredService<DatabaseMigrator>());

        services.AddSingleton<DeliverySignal>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SharedQueueWakeups>(sp, listenForQueueWork));
        services.AddHostedService(sp => sp.GetRequiredService<SharedQueueWakeups>());
        services.AddSingleton<IDeliverySignal, AnnouncingDeliverySignal>();

        services.AddSingleton<IQueueLeases, QueueLeases>();
        services.AddScoped<ISealedContentReader, SealedContentReader>();
        services.AddScoped<Holds.HeldCopies>();

        services.AddSingleton<GroupCommitIntake>();
        services.AddSingleton<IMessageIntake>(sp => sp.GetRequiredService<GroupCommitIntake>());
        return services;
    }

    private static string BuildSqliteConnectionString(IServiceProvider services)
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
