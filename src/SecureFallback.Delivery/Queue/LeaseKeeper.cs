using Microsoft.Extensions.Logging;
using SecureFallback.Core.Delivery;
using SecureFallback.Data.Queue;

namespace SecureFallback.Delivery.Queue;

/// <summary>
/// Keeps one delivery run's claims alive while it works: renews them every third of <c>Delivery:LeaseDuration</c>
/// in the background, however long one message takes (a tarpit, a large message on a slow link), and says which
/// recipients are still held. A claim that lapsed may be another instance's by now: nothing more is sent for it
/// from here. Disposing stops the renewals; what was not recorded by then lapses and is taken up again.
/// </summary>
internal sealed class LeaseKeeper : IAsyncDisposable
{
    private readonly IQueueLeases _leases;
    private readonly string _domain;
    private readonly TimeSpan _duration;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly HashSet<long> _held;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewing;
    private DateTimeOffset _heldUntil;

    /// <summary>Starts keeping the claims on <paramref name="ids"/>, taken at <paramref name="claimedAt"/> for <paramref name="duration"/>.</summary>
    public LeaseKeeper(IQueueLeases leases, string domain, IEnumerable<long> ids, DateTimeOffset claimedAt, TimeSpan duration, TimeProvider timeProvider, ILogger logger)
    {
        (_leases, _domain, _duration, _timeProvider, _logger) = (leases, domain, duration, timeProvider, logger);
        _held = [.. ids];
        _heldUntil = claimedAt + duration;
        _renewing = RenewAsync(claimedAt);
    }

    /// <summary>
    /// Whether the claim on <paramref name="id"/> is still ours: the last renewal kept it and has not run out (if
    /// renewals fail, say the database is out of reach, the claims are given up when they lapse).
    /// </summary>
    public bool Holds(long id)
    {
        lock (_lock)
        {
            return _held.Contains(id) && _timeProvider.GetUtcNow() < _heldUntil;
        }
    }

    /// <summary>
    /// The recipients of <paramref name="messages"/> whose claims are still ours: a claim that lapsed may already
    /// be another instance's, and sending it here too would deliver it twice.
    /// </summary>
    public IGrouping<Guid, DueRecipient>[] Held(IEnumerable<IGrouping<Guid, DueRecipient>> messages)
    {
        var claimed = messages.SelectMany(m => m).ToList();
        var held = claimed.Where(r => Holds(r.Id)).ToList();
        if (held.Count < claimed.Count)
        {
            DeliveryLog.ClaimsLost(_logger, _domain, claimed.Count - held.Count);
        }

        return [.. held.GroupBy(r => r.MessageId)];
    }

    private async Task RenewAsync(DateTimeOffset renewedAt)
    {
        try
        {
            while (true)
            {
                var wait = renewedAt + (_duration / 3) - _timeProvider.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _timeProvider, _stop.Token);
                }

                long[] ids;
                lock (_lock)
                {
                    ids = [.. _held];
                }

                if (ids.Length == 0)
                {
                    return;
                }

                renewedAt = _timeProvider.GetUtcNow();
                try
                {
                    // Recipients recorded meanwhile are no longer ours to renew (the record ended the claim): they
                    // drop out here, which is right, as nothing more is sent for them.
                    var stillHeld = await _leases.RenewAsync(ids, renewedAt + _duration, _stop.Token);
                    lock (_lock)
                    {
                        _held.IntersectWith(stillHeld);
                        _heldUntil = renewedAt + _duration;
                    }
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested)
                {
                    DeliveryLog.RenewalFailed(_logger, _domain, ex); // tried again a third of a lease later
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The run ended.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
