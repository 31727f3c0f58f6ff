namespace SecureFallback.Core.Reporting;

/// <summary>
/// One day's TLS report for one domain to one <c>rua</c> address: the audit record of its sending, and what stops a
/// second run from sending it again. An instance claims it (<see cref="ClaimedUntil"/>) while it sends.
/// </summary>
public sealed class TlsReportSend
{
    /// <summary>Stored length of <see cref="LastError"/>.</summary>
    public const int ErrorLength = 512;

    /// <summary>Sends tried per report before it is given up for the day.</summary>
    public const int MaxAttempts = 4;

    public long Id { get; set; }

    public string Day { get; set; } = "";

    public string PolicyDomain { get; set; } = "";

    /// <summary>The <c>mailto:</c> or <c>https:</c> URI the report went to.</summary>
    public string Rua { get; set; } = "";

    /// <summary>The report's <c>report-id</c>.</summary>
    public string ReportId { get; set; } = "";

    public long SuccessfulSessions { get; set; }

    public long FailedSessions { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    /// <summary>When it was handed over: queued as mail (<c>mailto:</c>) or accepted by the HTTPS endpoint.</summary>
    public DateTimeOffset? SentAt { get; set; }

    /// <summary>For a <c>mailto:</c> report: the queued message.</summary>
    public Guid? MessageId { get; set; }

    public string? LastError { get; set; }

    /// <summary>Until when an instance is sending it; others leave it alone meanwhile.</summary>
    public DateTimeOffset? ClaimedUntil { get; set; }

    /// <summary>Whether another try is due: not sent, not given up, not claimed.</summary>
    public bool IsDue(DateTimeOffset now) => SentAt is null && Attempts < MaxAttempts && (ClaimedUntil is null || ClaimedUntil < now);
}
