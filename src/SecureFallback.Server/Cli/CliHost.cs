using SecureFallback.Data;
using SecureFallback.Portal;
using SecureFallback.Server.Keys;

namespace SecureFallback.Server.Cli;

/// <summary>
/// The host an admin verb runs in: the server's settings (appsettings.json, environment, the verb's <c>--</c>
/// settings), its data directory and database, and only the modules the verb needs. Quiet below warnings.
/// </summary>
internal static class CliHost
{
    public static IHost Build(string[] settings, Action<IServiceCollection> addModules)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = settings, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSecureFallbackCore();
        builder.Services.AddSecureFallbackData();
        builder.Services.AddKeyRingStore();
        addModules(builder.Services);
        return builder.Build();
    }

    /// <summary>The host of the verbs that manage accounts: the database with the portal's Identity stores.</summary>
    public static IHost BuildWithIdentity(string[] settings) =>
        Build(settings, services => services.AddIdentityCore<PortalUser>(Portal.PortalServiceCollectionExtensions.ConfigureIdentity)
            .UseAddressLookups()
            .AddRoles<Microsoft.AspNetCore.Identity.IdentityRole>()
            .AddEntityFrameworkStores<SecureFallbackDbContext>());
}
