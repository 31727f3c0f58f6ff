using Microsoft.Extensions.Logging;

namespace SecureFallback.Delivery.Reports;

/// <summary>Log events of SMTP TLS reporting (8000-8099).</summary>
internal static partial class TlsReportLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "TLS session counts of a delivery round were not recorded (the delivery outcomes were): {Error}")]
    public static partial void CountsNotRecorded(ILogger logger, string error);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "TLS report for {Domain}, {Day}, sent to {Rua}: {Successful} successful, {Failed} failed sessions (report {ReportId})")]
    public static partial void Sent(ILogger logger, string domain, string day, string rua, long successful, long failed, string reportId);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "TLS report for {Domain}, {Day}, to {Rua} failed (attempt {Attempt}): {Error}")]
    public static partial void SendFailed(ILogger logger, string domain, string day, string rua, int attempt, string error);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Information, Message = "TLS reports of {Day} are due at {DueAt:u}")]
    public static partial void Scheduled(ILogger logger, string day, DateTimeOffset dueAt);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "TLS reporting record of {Domain} could not be looked up: {Error}")]
    public static partial void LookupFailed(ILogger logger, string domain, string error);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Error, Message = "TLS report run for {Day} failed; it is tried again later")]
    public static partial void RunFailed(ILogger logger, string day, Exception exception);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Warning, Message = "TLS reports of {Day} to mailto: addresses are skipped: Notices:DkimKeyPath is not set, and receivers ignore unsigned reports (RFC 8460 5.3); https: addresses still get theirs")]
    public static partial void MailtoSkippedUnsigned(ILogger logger, string day);

    [LoggerMessage(EventId = 8008, Level = LogLevel.Warning, Message = "TLS reports are DKIM-signed for {DkimDomain}, but their TLS-Report-Submitter is {Submitter}: receivers may discard them; set Notices:DkimDomain or TlsReports:ContactInfo so the two domains match")]
    public static partial void SubmitterNotDkimDomain(ILogger logger, string dkimDomain, string submitter);
}
