using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Data;
using SecureFallback.Delivery.Queue;
using SecureFallback.Smtp;

namespace SecureFallback.Server.Health;

/// <summary>Healthy once the database is migrated and, where this instance has those roles, the intake listens and the delivery worker runs.</summary>
internal sealed class ComponentsReadyHealthCheck(
    DatabaseReadiness database,
    IntakeReadiness intake,
    DeliveryReadiness delivery,
    IOptions<InstanceOptions> instance) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var notReady = new List<string>();
        if (!database.IsReady)
        {
            notReady.Add("database");
        }

        if (instance.Value.Has(InstanceRoles.Intake) && !intake.IsReady)
        {
            notReady.Add("intake");
        }

        if (instance.Value.Has(InstanceRoles.Delivery) && !delivery.IsReady)
        {
            notReady.Add("delivery");
        }

        return Task.FromResult(notReady.Count == 0
            ? HealthCheckResult.Healthy($"ready: database, roles {instance.Value.ParsedRoles ?? InstanceRoles.All}")
            : HealthCheckResult.Unhealthy("not ready: " + string.Join(", ", notReady)));
    }
}
