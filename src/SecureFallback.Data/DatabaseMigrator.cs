using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SecureFallback.Data;

/// <summary>Applies pending migrations before anything else starts, then marks the database ready.</summary>
internal sealed class DatabaseMigrator(IServiceScopeFactory scopeFactory, DatabaseReadiness readiness) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
        readiness.MarkReady();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Set once migrations are applied; read by the health check and by workers that must wait for the schema.</summary>
public sealed class DatabaseReadiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    public Task WhenReady => _ready.Task;

    internal void MarkReady() => _ready.TrySetResult();
}
