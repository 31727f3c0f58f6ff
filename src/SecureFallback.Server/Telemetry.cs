using System.Net;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SecureFallback.Core.Telemetry;

namespace SecureFallback.Server;

/// <summary>
/// OpenTelemetry for the server: our meter and activity source, ASP.NET Core and runtime instruments; a Prometheus
/// scrape endpoint at <c>/metrics</c>, and OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
internal static class Telemetry
{
    public static IServiceCollection AddSecureFallbackTelemetry(this IServiceCollection services)
    {
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName)
            .Validate(o => o.MetricsNetworks.All(n => IPNetwork.TryParse(n, out _)), "SecureFallback:Telemetry:MetricsNetworks must be CIDR networks (e.g. 10.0.0.0/8).")
            .ValidateOnStart();
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("securefallback"))
            .WithMetrics(metrics => metrics
                .AddMeter(SecureFallbackMetrics.Name)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(SecureFallbackMetrics.Name)
                .AddAspNetCoreInstrumentation());
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            otel.UseOtlpExporter();
        }

        return services;
    }

    /// <summary>
    /// <c>/metrics</c> for Prometheus, answered only to loopback and <c>Telemetry:MetricsNetworks</c> (others get
    /// 404): queue figures are nobody else's business.
    /// </summary>
    public static void MapSecureFallbackTelemetry(this WebApplication app)
    {
        var allowed = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelemetryOptions>>().Value.MetricsNetworks
            .Select(n => IPNetwork.Parse(n)).ToArray();
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/metrics") &&
                (context.Connection.RemoteIpAddress is not { } client || !(IPAddress.IsLoopback(client) || allowed.Any(n => n.Contains(client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client)))))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next();
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
    }
}

/// <summary>Settings under <c>SecureFallback:Telemetry</c>.</summary>
internal sealed class TelemetryOptions
{
    public const string SectionName = "SecureFallback:Telemetry";

    /// <summary>CIDR networks (besides loopback) whose clients may scrape <c>/metrics</c>. Default none.</summary>
    public List<string> MetricsNetworks { get; set; } = [];
}
