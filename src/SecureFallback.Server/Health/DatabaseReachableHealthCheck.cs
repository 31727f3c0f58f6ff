using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecureFallback.Data;

namespace SecureFallback.Server.Health;

/// <summary>For <c>/readyz</c>: the database answers now (a locked, full or vanished database makes the instance unready).</summary>
internal sealed class DatabaseReachableHealthCheck(SecureFallbackDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("the database does not answer");
}
