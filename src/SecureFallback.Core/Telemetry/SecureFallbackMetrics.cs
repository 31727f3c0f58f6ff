using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SecureFallback.Core.Telemetry;

/// <summary>
/// What an admin watches: messages accepted, recipients delivered over TLS, held, bounced, read and expired, TLS
/// failures by reason, and the queue's depth and age. One meter and one activity source named "SecureFallback",
/// exported by the server as OpenTelemetry (Prometheus scrape, OTLP). Never addresses, subjects or content.
/// </summary>
public sealed class SecureFallbackMetrics
{
    public const string Name = "SecureFallback";

    /// <summary>Spans for intake, delivery rounds and portal reads.</summary>
    public static readonly ActivitySource Activities = new(Name);

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _held;
    private readonly Counter<long> _bounced;
    private readonly Counter<long> _tlsFailures;
    private readonly Counter<long> _read;
    private readonly Counter<long> _expired;
    private QueueSnapshot _queue = new(0, 0, 0);

    public SecureFallbackMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        _accepted = meter.CreateCounter<long>("securefallback.messages.accepted", "{message}", "Messages acknowledged (250) at the SMTP intake");
        _delivered = meter.CreateCounter<long>("securefallback.recipients.delivered", "{recipient}", "Recipients delivered; tls=false only in deliver-plain test mode or for notices");
        _held = meter.CreateCounter<long>("securefallback.recipients.held", "{recipient}", "Recipients held for secure pickup");
        _bounced = meter.CreateCounter<long>("securefallback.recipients.bounced", "{recipient}", "Recipients not delivered; the sender got a DSN");
        _tlsFailures = meter.CreateCounter<long>("securefallback.tls.failures", "{attempt}", "Deliveries decided by a TLS failure, by TLS-RPT reason");
        _read = meter.CreateCounter<long>("securefallback.pickups.read", "{message}", "Held messages opened by their recipient for the first time");
        _expired = meter.CreateCounter<long>("securefallback.pickups.expired", "{message}", "Held messages that expired unread");
        meter.CreateObservableGauge("securefallback.queue.depth", () => _queue.Queued, "{recipient}", "Recipients waiting for delivery");
        meter.CreateObservableGauge("securefallback.queue.oldest_age", () => _queue.OldestAgeSeconds, "s", "Age of the oldest recipient waiting for delivery");
        meter.CreateObservableGauge("securefallback.pickups.held", () => _queue.Held, "{recipient}", "Recipients currently held for pickup");
    }

    public void Accepted() => _accepted.Add(1);

    public void Delivered(bool overTls, string kind) =>
        _delivered.Add(1, new KeyValuePair<string, object?>("tls", overTls), new KeyValuePair<string, object?>("kind", kind));

    public void Held(string? reason) => _held.Add(1, new KeyValuePair<string, object?>("reason", reason ?? "unknown"));

    public void Bounced(string? reason) => _bounced.Add(1, new KeyValuePair<string, object?>("reason", reason ?? "unknown"));

    public void TlsFailure(string? reason) => _tlsFailures.Add(1, new KeyValuePair<string, object?>("reason", reason ?? "unknown"));

    public void Read() => _read.Add(1);

    public void Expired(int count) => _expired.Add(count);

    /// <summary>The latest queue figures (sampled from the database, so a scrape never queries it).</summary>
    public void Observe(QueueSnapshot snapshot) => _queue = snapshot;
}

/// <summary>Queue figures at one moment.</summary>
public sealed record QueueSnapshot(long Queued, double OldestAgeSeconds, long Held);
