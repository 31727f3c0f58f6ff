namespace SecureFallback.Core.Intake;

/// <summary>A coalescing wake-up: many notifications while the worker is busy become one.</summary>
public sealed class DeliverySignal : IDeliverySignal
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
