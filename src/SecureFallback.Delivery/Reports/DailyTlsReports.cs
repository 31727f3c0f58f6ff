using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Reporting;
using SecureFallback.Data;

namespace SecureFallback.Delivery.Reports;

/// <summary>
/// Sends the previous UTC day's TLS reports once a day, at a random time within <c>TlsReports:SpreadHours</c> after
/// 00:00 UTC (RFC 8460 4.1 asks senders to spread them), and tries what failed again hourly, a few times. Every
/// delivery instance runs it; the per-report claims of <see cref="TlsReportSender"/> make sure one sends each report.
/// </summary>
internal sealed class DailyTlsReports(
    TlsReportSender sender,
    DatabaseReadiness databaseReadiness,
    IOptions<TlsReportOptions> options,
    IOptions<NoticeOptions> notices,
    TimeProvider timeProvider,
    ILogger<DailyTlsReports> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        // Receivers check that a mailed report is DKIM-signed; one signed for another domain than the submitter's
        // may be discarded (RFC 8460 5.3).
        var dkimDomain = notices.Value.DkimDomain ?? (MimeKit.MailboxAddress.TryParse(notices.Value.From, out var from) ? from.Domain : "");
        if (!string.IsNullOrWhiteSpace(notices.Value.DkimKeyPath) && !string.Equals(dkimDomain, options.Value.Submitter, StringComparison.OrdinalIgnoreCase))
        {
            TlsReportLog.SubmitterNotDkimDomain(logger, dkimDomain, options.Value.Submitter);
        }

        await databaseReadiness.WhenReady.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = timeProvider.GetUtcNow();
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            var midnight = new DateTimeOffset(today.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var yesterday = today.AddDays(-1);
            var dueAt = midnight + TimeSpan.FromSeconds(Random.Shared.NextDouble() * options.Value.SpreadHours * 3600);
            TlsReportLog.Scheduled(logger, $"{yesterday:yyyy-MM-dd}", dueAt);
            for (var run = 0; run < TlsReportSend.MaxAttempts && dueAt < midnight.AddDays(1); run++)
            {
                await DelayUntilAsync(dueAt, stoppingToken);
                if (await RunAsync(yesterday, stoppingToken))
                {
                    break;
                }

                dueAt = timeProvider.GetUtcNow() + RetryDelay;
            }

            await DelayUntilAsync(midnight.AddDays(1), stoppingToken);
        }
    }

    /// <returns>True when nothing is left to try again.</returns>
    private async Task<bool> RunAsync(DateOnly day, CancellationToken stoppingToken)
    {
        try
        {
            var results = await sender.SendAsync(day, TlsReportSender.EndOf(day), stoppingToken);
            return !results.Any(r => r.Outcome.StartsWith("failed", StringComparison.Ordinal) || r.Outcome == "busy");
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            TlsReportLog.RunFailed(logger, $"{day:yyyy-MM-dd}", ex);
            return false;
        }
    }

    private async Task DelayUntilAsync(DateTimeOffset at, CancellationToken stoppingToken)
    {
        var wait = at - timeProvider.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, timeProvider, stoppingToken);
        }
    }
}
