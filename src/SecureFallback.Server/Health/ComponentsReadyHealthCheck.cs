using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecureFallback.Data;
using SecureFallback.Delivery.Queue;
using SecureFallback.Smtp;

namespace SecureFallback.Server.Health;

/// <summary>Healthy once the database is migrated, the intake listens and the delivery worker runs.</summary>
internal sealed class ComponentsReadyHealthCheck(
    DatabaseReadiness database,
    IntakeReadiness intake,
    DeliveryReadiness delivery) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var notReady = new List<string>();
        if (!database.IsReady)
        {
            notReady.Add("database");
        }

        if (!intake.IsReady)
        {
            notReady.Add("intake");
        }

        if (!delivery.IsReady)
        {
            notReady.Add("delivery");
        }

        return Task.FromResult(notReady.Count == 0
            ? HealthCheckResult.Healthy("intake, delivery and database ready")
            : HealthCheckResult.Unhealthy("not ready: " + string.Join(", ", notReady)));
    }
}
