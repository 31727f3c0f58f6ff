using Microsoft.Extensions.Options;
using SecureFallback.Admin;
using SecureFallback.Core;
using SecureFallback.Core.Branding;
using SecureFallback.Data;
using SecureFallback.Delivery;
using SecureFallback.Portal;
using SecureFallback.Protection;
using SecureFallback.Server.Health;
using SecureFallback.Server.Keys;
using SecureFallback.Smtp;

namespace SecureFallback.Server;

/// <summary>Composition root: intake, delivery and web in one process.</summary>
public static class ServerHost
{
    /// <summary>Where the web side listens unless <c>Urls</c> says otherwise.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        FileStream? dataLock;
        try
        {
            app = Build(args);
            // Check every setting before anything starts, so a bad one gives one clear message and no stack trace.
            app.Services.GetService<IStartupValidator>()?.Validate();
            // Before anything touches the data: one server per SQLite data directory, for the life of the process.
            dataLock = DataDirectoryLock.Acquire(app.Services);
            // Open the key ring and check it fits the data before anything starts: without it no queued message
            // could be read. (In-process hosts get the same check as their first hosted service.)
            await app.Services.GetRequiredService<Keys.KeyRingStartupCheck>().CheckAsync(CancellationToken.None);
            await app.StartAsync();
        }
        catch (Exception ex) when (StartupErrors.Describe(ex) is { } message)
        {
            await Console.Error.WriteLineAsync(message);
            return 2;
        }

        await using (dataLock)
        {
            await app.WaitForShutdownAsync();
            await app.DisposeAsync();
        }

        return 0;
    }

    /// <summary>
    /// Builds the server; tests start it in-process with their own arguments, and may replace services (a fake
    /// <see cref="TimeProvider"/>, say) through <paramref name="overrides"/>, applied after ours.
    /// </summary>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? overrides = null)
    {
        // Content root is the application folder so appsettings.json is found from any working directory;
        // the data directory stays relative to the working directory (see SecureFallback:DataDirectory).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory, ApplicationName = typeof(ServerHost).Assembly.GetName().Name });
        if (string.IsNullOrWhiteSpace(builder.Configuration["Urls"]))
        {
            builder.Configuration["Urls"] = DefaultUrls;
        }

        // Roles decide what is registered, so they are read before the container exists (validated with the rest).
        var instance = builder.Configuration.GetSection(InstanceOptions.SectionName).Get<InstanceOptions>() ?? new InstanceOptions();
        AddSecureFallback(builder.Services, instance);
        overrides?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapSecureFallbackEndpoints(instance);
        return app;
    }

    public static IServiceCollection AddSecureFallbackCore(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<Core.Telemetry.SecureFallbackMetrics>();
        services.AddOptions<DataDirectoryOptions>()
            .BindConfiguration(DataDirectoryOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "SecureFallback:DataDirectory must not be empty.")
            .ValidateOnStart();
        services.AddOptions<InstanceOptions>()
            .BindConfiguration(InstanceOptions.SectionName)
            .Validate(o => o.ParsedRoles is not null, "SecureFallback:Roles must be All or a comma-separated list of Intake, Delivery and Portal.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.InstanceName) && o.InstanceName.Length <= 128, "SecureFallback:InstanceName must be 1 to 128 characters.")
            .ValidateOnStart();
        return services;
    }

    /// <summary>The organisation's branding (<c>Branding:*</c>, with the older portal setting as its default), validated at start.</summary>
    public static IServiceCollection AddBranding(this IServiceCollection services)
    {
        services.AddOptions<BrandingOptions>().BindConfiguration(BrandingOptions.SectionName)
            .PostConfigure<IConfiguration>(BrandingOptionsSetup.ApplyDefaults)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<BrandingOptions>, BrandingOptionsValidator>();
        return services;
    }

    private static void AddSecureFallback(IServiceCollection services, InstanceOptions instance)
    {
        services.AddSecureFallbackCore();
        services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.SectionName)
            .PostConfigure<IConfiguration>(PortalOptionsSetup.ApplyDefaults)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PortalOptions>, PortalOptionsValidator>();
        services.AddBranding();
        services.AddHostedService<BrandingStartupWarning>();

        services.AddSecureFallbackData(listenForQueueWork: instance.Has(InstanceRoles.Delivery));
        services.AddKeyRingStore();
        services.AddSecureFallbackProtection();
        services.AddSecureFallbackDelivery(runQueue: instance.Has(InstanceRoles.Delivery));
        services.AddSecureFallbackIntake(listen: instance.Has(InstanceRoles.Intake));
        services.AddOptions<IntakeOptions>().PostConfigure<IOptions<DeliveryOptions>>((intake, delivery) =>
            intake.ServerName ??= delivery.Value.HeloName);
        services.AddSecureFallbackPortal();
        services.AddSecureFallbackAdmin();
        services.AddHealthChecks()
            .AddCheck<ComponentsReadyHealthCheck>("components")
            .AddCheck<DatabaseReachableHealthCheck>("database", tags: ["ready"]);
        services.AddSecureFallbackTelemetry();

        // First of all hosted services (Data Protection's own included): nothing may seal or open before the key
        // ring is known to fit the data.
        services.AddSingleton<Keys.KeyRingStartupCheck>();
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp => sp.GetRequiredService<Keys.KeyRingStartupCheck>()));
    }
}
