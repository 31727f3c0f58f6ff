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
/// twice), groups them by domain (messages to the same next hop share a connection; a busy domain gets up to
/// <c>Delivery:ConnectionsPerDomain</c>), and turns queued DSNs and purges into work between rounds. A domain at
/// work gains connections for mail that becomes due meanwhile, so a stream of new mail never waits for the
/// slowest connection of an earlier round.
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

    /// <summary>The connections at work per domain (a domain is here while it has one).</summary>
    private readonly Dictionary<string, List<Connection>> _inFlight = new(StringComparer.Ordinal);

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
            await Task.WhenAll(Running()).WaitAsync(TimeSpan.FromSeconds(15)).ContinueWith(_ => { }, TaskScheduler.Default);
            await sessionCache.DisposeAsync();
        }
    }

    private IEnumerable<Task> Running() => _inFlight.Values.SelectMany(c => c).Select(c => c.Run);

    private void ReapFinished()
    {
        foreach (var (domain, connections) in _inFlight.ToList())
        {
            foreach (var finished in connections.Where(c => c.Run.IsCompleted).ToList())
            {
                connections.Remove(finished);
                if (finished.Run.Exception is { } ex)
                {
                    // No new connection until the backoff ends; the domain's other connections finish their share.
                    DeliveryLog.DomainFailed(logger, domain, ex.GetBaseException());
                    _backoff[domain] = timeProvider.GetUtcNow() + FaultBackoff;
                }
            }

            if (connections.Count == 0)
            {
                _inFlight.Remove(domain);
            }
        }
    }

    private async Task DispatchDueAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        foreach (var expired in _backoff.Where(b => b.Value <= now).Select(b => b.Key).ToList())
        {
            _backoff.Remove(expired);
        }

        var perDomain = options.Value.ConnectionsPerDomain;
        var until = now + options.Value.LeaseDuration;
        // Domains at work with a connection to spare take what became due for them since (new mail streaming in):
        // the recipients their connections hold are left out, so no recipient is ever in two runs here.
        var growing = _inFlight.Where(d => d.Value.Count < perDomain && !_backoff.ContainsKey(d.Key)).ToList();
        if (growing.Count > 0)
        {
            var inHand = growing.SelectMany(d => d.Value).SelectMany(c => c.Ids).ToList();
            var more = await leases.ClaimMoreAsync([.. growing.Select(d => d.Key)], inHand, ClaimLimit, now, until, cancellationToken);
            foreach (var domain in more.GroupBy(r => r.Domain))
            {
                Start(domain.Key, [.. domain], perDomain - _inFlight[domain.Key].Count, now, cancellationToken);
            }
        }

        var capacity = options.Value.MaxParallelDomains - _inFlight.Count;
        if (capacity <= 0)
        {
            return;
        }

        var busy = _inFlight.Keys.Concat(_backoff.Keys).ToList();
        var due = await leases.ClaimDueAsync(busy, capacity, ClaimLimit, now, until, cancellationToken);
        foreach (var domain in due.GroupBy(r => r.Domain))
        {
            Start(domain.Key, [.. domain], perDomain, now, cancellationToken);
        }
    }

    /// <summary>Starts up to <paramref name="connections"/> connections to <paramref name="domain"/>, each with its own share of whole messages.</summary>
    private void Start(string domain, List<DueRecipient> due, int connections, DateTimeOffset claimedAt, CancellationToken cancellationToken)
    {
        if (!_inFlight.TryGetValue(domain, out var running))
        {
            _inFlight[domain] = running = [];
        }

        foreach (var part in SplitForConnections(due, connections))
        {
            var run = Task.Run(() => domainDelivery.DeliverAsync(domain, part, claimedAt, cancellationToken), cancellationToken);
            running.Add(new Connection(run, [.. part.Select(r => r.Id)]));
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
        var waits = new List<Task>(Running()) { signalled, Task.Delay(wait, timeProvider, cancelWait.Token) };
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

    /// <summary>One connection's run: its task and the recipients it holds.</summary>
    private sealed record Connection(Task Run, long[] Ids);
}
