using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Telemetry;
using SecureFallback.Data;

namespace SecureFallback.Delivery.Queue;

/// <summary>Samples the queue's depth and age every 15 seconds for the metrics, so a scrape never queries the database.</summary>
internal sealed class QueueGauges(
    IServiceScopeFactory scopeFactory,
    DatabaseReadiness databaseReadiness,
    SecureFallbackMetrics metrics,
    TimeProvider timeProvider) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await databaseReadiness.WhenReady.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(Interval, timeProvider);
        do
        {
            try
            {
                metrics.Observe(await SampleAsync(stoppingToken));
            }
            catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                // A busy or full database: keep the last figures, try again next time.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<QueueSnapshot> SampleAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var queued = await db.Recipients.CountAsync(r => r.Status == RecipientStatus.Queued, cancellationToken);
        var held = await db.Recipients.CountAsync(r => r.Status == RecipientStatus.HeldForPickup, cancellationToken);
        var oldest = await db.Recipients.Where(r => r.Status == RecipientStatus.Queued)
            .Select(r => (DateTimeOffset?)r.Message!.ReceivedAt)
            .OrderBy(t => t)
            .FirstOrDefaultAsync(cancellationToken);
        var age = oldest is { } received ? Math.Max(0, (timeProvider.GetUtcNow() - received).TotalSeconds) : 0;
        return new QueueSnapshot(queued, age, held);
    }
}
