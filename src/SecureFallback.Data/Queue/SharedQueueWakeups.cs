using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SecureFallback.Core.Intake;

namespace SecureFallback.Data.Queue;

/// <summary>
/// Instances on one PostgreSQL database wake each other: committed work is announced with <c>NOTIFY</c>, and an
/// instance that delivers <c>LISTEN</c>s, so mail another instance took in (or a receipt a portal instance queued)
/// goes out at once instead of at the next poll. Announcements from many commits while one is being sent become
/// one. On SQLite (one instance) this does nothing. A lost connection only means waiting for the poll meanwhile.
/// </summary>
internal sealed partial class SharedQueueWakeups(IOptions<DatabaseOptions> database, DeliverySignal localSignal, bool listen, ILogger<SharedQueueWakeups> logger)
    : BackgroundService
{
    /// <summary>The notification channel; only its arrival matters, it carries no payload.</summary>
    internal const string Channel = "securefallback_queue";

    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(5);

    /// <summary>Least time between two announcements: a busy intake commits many groups a second, one wake-up will do.</summary>
    private static readonly TimeSpan AnnounceSpacing = TimeSpan.FromMilliseconds(50);

    /// <summary>Announcements asked for and not yet sent, coalesced the way the worker's wake-ups are.</summary>
    private readonly DeliverySignal _pending = new();

    private bool Shared => database.Value.IsPostgres;

    /// <summary>Asks for one announcement to the other instances (coalesced with any already asked for).</summary>
    public void Announce()
    {
        if (Shared)
        {
            _pending.Notify();
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => !Shared
        ? Task.CompletedTask
        : Task.WhenAll(AnnounceAsync(stoppingToken), listen ? ListenAsync(stoppingToken) : Task.CompletedTask);

    private async Task AnnounceAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _pending.WaitAsync(stoppingToken);
                await using var connection = new NpgsqlConnection(database.Value.ConnectionString);
                await connection.OpenAsync(stoppingToken);
                await using var command = new NpgsqlCommand($"NOTIFY {Channel}", connection);
                await command.ExecuteNonQueryAsync(stoppingToken);
                await Task.Delay(AnnounceSpacing, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Log.WakeupFailed(logger, "announce", ex.Message);
                await Task.Delay(ReconnectDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        // Keepalives notice a connection that died silently while it waited.
        var listenerConnection = new NpgsqlConnectionStringBuilder(database.Value.ConnectionString) { KeepAlive = 30 }.ConnectionString;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(listenerConnection);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, _) => localSignal.Notify();
                await using (var command = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await command.ExecuteNonQueryAsync(stoppingToken);
                }

                localSignal.Notify(); // whatever was announced while this instance was not listening
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Log.WakeupFailed(logger, "listen", ex.Message);
                await Task.Delay(ReconnectDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Waking other instances through PostgreSQL failed ({Step}: {Error}); retrying in a few seconds, meanwhile the queue is polled")]
        public static partial void WakeupFailed(ILogger logger, string step, string error);
    }
}

/// <summary>What the rest of the product calls after committing work: wakes this instance's worker and the others'.</summary>
internal sealed class AnnouncingDeliverySignal(DeliverySignal localSignal, SharedQueueWakeups wakeups) : IDeliverySignal
{
    public void Notify()
    {
        localSignal.Notify();
        wakeups.Announce();
    }
}
