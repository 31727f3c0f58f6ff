using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Intake;
using SecureFallback.Data;
using SecureFallback.Data.Queue;
using SecureFallback.Delivery.Outboxes;
using SecureFallback.Delivery.Outcomes;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Queue;

/// <summary>
/// The queue runner: claims due recipients (a lease, so instances sharing the database never attempt one
/// twice), groups them by domain (one task per domain, so messages to the same next hop share a connection),
/// and turns queued DSNs and purges into work between rounds.
/// </summary>
internal sealed class DeliveryWorker(
    IQueueLeases leases,
    DomainDelivery domainDelivery,
    DsnOutbox dsnOutbox,
    PickupNoticeOutbox pickupNoticeOutbox,
    ReadReceiptOutbox readReceiptOutbox,
    DisownReportOutbox disownReportOutbox,
    RevokeConfirmationOutbox revokeConfirmationOutbox,
    SessionCache sessionCache,
    DeliverySignal signal,
    DeliveryReadiness readiness,
    DatabaseReadiness databaseReadiness,
    IOptions<DeliveryOptions> options,
    TimeProvider timeProvider,
    ILogger<DeliveryWorker> logger) : BackgroundService
{
    private static readonly TimeSpan CoalesceDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan FaultBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Recipients claimed per round, over all dispatched domains.</summary>
    private const int ClaimLimit = 5000;
    private readonly OutboxRunner _outboxRunner = new(timeProvider, logger);

    /// <summary>Pickup notices first: a held DSN with a PIN waits for the grant its notice creates.</summary>
    private readonly OutboxPass[] _outboxes =
    [
        new("pickup notice", pickupNoticeOutbox.ProcessAsync),
        new("read receipt", readReceiptOutbox.ProcessAsync),
        new("disown report", disownReportOutbox.ProcessAsync),
        new("revoke confirmation", revokeConfirmationOutbox.ProcessAsync),
        new("DSN", dsnOutbox.ProcessAsync),
    ];

    private readonly Dictionary<string, Task> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Domains whose last run failed unexpectedly, with when they may run again (no tight retry loop).</summary>
    private readonly Dictionary<string, DateTimeOffset> _backoff = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await databaseReadiness.WhenReady.WaitAsync(stoppingToken);
        await ReleaseLeftoverClaimsAsync(stoppingToken);
        readiness.MarkRunning();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = options.Value.PollInterval;
                try
                {
                    ReapFinished();
                    await DispatchDueAsync(stoppingToken);
                    await _outboxRunner.RunAsync(_outboxes, stoppingToken);
                    await sessionCache.RetireIdleAsync();
                    wait = _inFlight.Count >= options.Value.MaxParallelDomains
                        ? options.Value.PollInterval // full: an in-flight domain finishing wakes the loop
                        : await TimeUntilNextDueAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    DeliveryLog.LoopFailed(logger, ex);
                    wait = TimeSpan.FromSeconds(5);
                }

                await WaitForWorkAsync(wait, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: in-flight deliveries see the same token and end; unrecorded recipients stay queued.
        }
        finally
        {
            readiness.MarkStopped();
            await Task.WhenAll(_inFlight.Values).WaitAsync(TimeSpan.FromSeconds(15)).ContinueWith(_ => { }, TaskScheduler.Default);
            await sessionCache.DisposeAsync();
        }
    }

    private void ReapFinished()
    {
        foreach (var (domain, task) in _inFlight.Where(p => p.Value.IsCompleted).ToList())
        {
            _inFlight.Remove(domain);
            if (task.Exception is { } ex)
            {
                DeliveryLog.DomainFailed(logger, domain, ex.GetBaseException());
                _backoff[domain] = timeProvider.GetUtcNow() + FaultBackoff;
            }
        }
    }

    private async Task DispatchDueAsync(CancellationToken cancellationToken)
    {
        var capacity = options.Value.MaxParallelDomains - _inFlight.Count;
        if (capacity <= 0)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        foreach (var expired in _backoff.Where(b => b.Value <= now).Select(b => b.Key).ToList())
        {
            _backoff.Remove(expired);
        }

        var busy = _inFlight.Keys.Concat(_backoff.Keys).ToList();
        var due = await leases.ClaimDueAsync(busy, capacity, ClaimLimit, now, now + options.Value.LeaseDuration, cancellationToken);
        foreach (var domain in due.GroupBy(r => r.Domain))
        {
            // A busy domain gets several connections, each with its own share of whole messages.
            var parts = SplitForConnections([.. domain], options.Value.ConnectionsPerDomain);
            _inFlight[domain.Key] = Task.WhenAll(parts.Select(part =>
                Task.Run(() => domainDelivery.DeliverAsync(domain.Key, part, now, cancellationToken), cancellationToken)));
        }
    }

    /// <summary>
    /// Deals a domain's messages out to at most <paramref name="connections"/> parts, one message's recipients
    /// always together, and no part smaller than a delivery chunk (a connection for a handful of messages costs
    /// more than it saves).
    /// </summary>
    internal static List<List<DueRecipient>> SplitForConnections(List<DueRecipient> recipients, int connections)
    {
        var messages = recipients.GroupBy(r => r.MessageId).ToList();
        var count = Math.Clamp(messages.Count / DomainDelivery.ChunkSize, 1, connections);
        var parts = Enumerable.Range(0, count).Select(_ => new List<DueRecipient>()).ToList();
        for (var i = 0; i < messages.Count; i++)
        {
            parts[i % count].AddRange(messages[i]);
        }

        return parts;
    }

    /// <summary>Claims under this instance's name are left over from a run that died: free them at once.</summary>
    private Task ReleaseLeftoverClaimsAsync(CancellationToken cancellationToken) => leases.ReleaseAllAsync(cancellationToken);

    private async Task<TimeSpan> TimeUntilNextDueAsync(CancellationToken cancellationToken)
    {
        var busy = _inFlight.Keys.Concat(_backoff.Keys).ToList();
        var next = await leases.NextDueAsync(busy, timeProvider.GetUtcNow(), cancellationToken);
        if (next is null)
        {
            return options.Value.PollInterval;
        }

        var wait = next.Value - timeProvider.GetUtcNow();
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > options.Value.PollInterval ? options.Value.PollInterval : wait;
    }

    private async Task WaitForWorkAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        using var cancelWait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var signalled = signal.WaitAsync(cancelWait.Token);
        var waits = new List<Task>(_inFlight.Values) { signalled, Task.Delay(wait, timeProvider, cancelWait.Token) };
        var woken = await Task.WhenAny(waits);
        await cancelWait.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        if (woken == signalled)
        {
            // New mail arrives in bursts: gather a little more before the next round of queries. A pause of the
            // machine, not a due time, so wall-clock (a test's fake clock must not freeze it).
            await Task.Delay(CoalesceDelay, cancellationToken);
        }
    }
}
