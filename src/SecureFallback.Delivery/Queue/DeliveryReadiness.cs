namespace SecureFallback.Delivery.Queue;

/// <summary>Set while the delivery worker runs; read by the health check.</summary>
public sealed class DeliveryReadiness
{
    private volatile bool _running;

    public bool IsReady => _running;

    internal void MarkRunning() => _running = true;

    internal void MarkStopped() => _running = false;
}
