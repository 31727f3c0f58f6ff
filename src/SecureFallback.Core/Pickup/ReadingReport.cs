namespace SecureFallback.Core.Pickup;

/// <summary>
/// One reading from a network the grant had not seen, waiting to be reported to the sender ("opened again from
/// another network"); a row of its own, so readings in quick succession each keep their report (an outbox row,
/// removed when its notice is queued).
/// </summary>
public sealed class ReadingReport
{
    public long Id { get; set; }

    public Guid GrantId { get; set; }

    public DateTimeOffset ReadAt { get; set; }

    /// <summary>The reading's network (<c>ClientNetwork.ReadingNetworkOf</c>): never the full address.</summary>
    public string Network { get; set; } = "";

    /// <summary>The reading's browser family (<see cref="BrowserFamily"/>).</summary>
    public string Browser { get; set; } = "";
}
