using SecureFallback.Core.Intake;

namespace SecureFallback.Delivery.Queue;

/// <summary>A coalescing wake-up: many notifications while the worker is busy become one.</summary>
internal sealed class DeliverySignal : IDeliverySignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            if (_signal.CurrentCount == 0)
            {
                _signal.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already signalled; nothing to add.
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken) => _signal.WaitAsync(cancellationToken);
}

/// <summary>Set while the delivery worker runs; read by the health check.</summary>
public sealed class DeliveryReadiness
{
    private volatile bool _running;

    public bool IsReady => _running;

    internal void MarkRunning() => _running = true;

    internal void MarkStopped() => _running = false;
}
