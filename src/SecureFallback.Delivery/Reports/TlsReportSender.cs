using System.Data.Common;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using DnsClient;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Reporting;
using SecureFallback.Data;
using SecureFallback.Data.Writes;
using SecureFallback.Delivery.Notices;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Reports;

/// <summary>What became of one report to one rua in a run.</summary>
/// <param name="Domain">The policy domain.</param>
/// <param name="Rua">The address, or empty when the domain publishes none.</param>
/// <param name="Outcome"><c>sent</c>, <c>already sent</c>, <c>failed: …</c>, <c>busy</c> (another instance sends it), <c>skipped (no DKIM key…)</c> for a <c>mailto:</c> rua without <c>Notices:DkimKeyPath</c>, or <c>no TLSRPT record</c>.</param>
public sealed record TlsReportResult(string Domain, string Rua, string Outcome);

/// <summary>
/// Builds and sends one UTC day's TLS reports (RFC 8460): for each domain with counts and a valid <c>_smtp._tls</c>
/// record, the JSON report gzip'd, queued as mail (kind <see cref="MessageKind.TlsReport"/>) to each <c>mailto:</c>
/// rua and POSTed to each <c>https:</c> one. Each day × domain × rua has a <see cref="TlsReportSend"/> row: claimed
/// by one instance while it sends (a row lease, like the queue's), marked sent once handed over, so a re-run or a
/// second instance never sends it twice; a failure is tried again on a later run, at most
/// <see cref="TlsReportSend.MaxAttempts"/> times.
/// </summary>
public sealed class TlsReportSender
{
    /// <summary>How long an instance holds a report while it sends it.</summary>
    private static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan PostTimeout = TimeSpan.FromSeconds(60);

    private const int MaxResponseBytes = 64 * 1024;

    private const string UnsignedSkipped = "skipped (no DKIM key: receivers ignore unsigned reports)";

    private readonly IServiceScopeFactory _scopeFactory;
    private readonly ILookupClient _dns;
    private readonly IContentProtector _protector;
    private readonly NoticeSigner _signer;
    private readonly WebPkiHttp _webPki;
    private readonly IDeliverySignal _signal;
    private readonly TlsReportOptions _options;
    private readonly string _from;
    private readonly string _helo;
    private readonly bool _dkimSigned;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    internal TlsReportSender(IServiceProvider services)
    {
        (_scopeFactory, _dns, _protector) = (services.GetRequiredService<IServiceScopeFactory>(), services.GetRequiredService<ILookupClient>(), services.GetRequiredService<IContentProtector>());
        (_signer, _webPki, _signal) = (services.GetRequiredService<NoticeSigner>(), services.GetRequiredService<WebPkiHttp>(), services.GetRequiredService<IDeliverySignal>());
        _options = services.GetRequiredService<IOptions<TlsReportOptions>>().Value;
        var notices = services.GetRequiredService<IOptions<NoticeOptions>>().Value;
        (_from, _helo, _dkimSigned) = (notices.From, services.GetRequiredService<IOptions<DeliveryOptions>>().Value.HeloName, !string.IsNullOrWhiteSpace(notices.DkimKeyPath));
        (_timeProvider, _logger) = (services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<TlsReportSender>>());
    }

    /// <summary>Sends the reports of <paramref name="day"/>, covering it until <paramref name="end"/> (its last second, or now).</summary>
    public async Task<IReadOnlyList<TlsReportResult>> SendAsync(DateOnly day, DateTimeOffset end, CancellationToken cancellationToken)
    {
        var dayText = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await using var scope = _scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var counts = await db.TlsSessionCounts.AsNoTracking().Where(c => c.Day == dayText).ToListAsync(cancellationToken);
        var results = new List<TlsReportResult>();
        var warnedUnsigned = false;
        foreach (var domain in counts.GroupBy(c => c.PolicyDomain).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ruas = await ReportAddressesAsync(domain.Key, cancellationToken);
            if (ruas.Count == 0)
            {
                results.Add(new(domain.Key, "", "no TLSRPT record"));
                continue;
            }

            foreach (var rua in ruas)
            {
                if (rua.Scheme == Uri.UriSchemeMailto && !_dkimSigned)
                {
                    // RFC 8460 5.3: receivers MUST ignore a mailed report without a valid DKIM signature.
                    if (!warnedUnsigned)
                    {
                        TlsReportLog.MailtoSkippedUnsigned(_logger, dayText);
                        warnedUnsigned = true;
                    }

                    results.Add(new(domain.Key, rua.OriginalString, UnsignedSkipped));
                    continue;
                }

                try
                {
                    results.Add(await SendOneAsync(db, dayText, day, end, domain.Key, [.. domain], rua, cancellationToken));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One rua that cannot be handled (a row that cannot be written, mail that cannot be composed)
                    // must not stop the day's other reports: it is recorded as failed and the run goes on.
                    db.ChangeTracker.Clear();
                    results.Add(await RecordFailureAsync(db, dayText, domain.Key, rua, ex, cancellationToken));
                }
            }
        }

        return results;
    }

    /// <summary>The JSON report of <paramref name="domain"/> for <paramref name="day"/>, or null without counts.</summary>
    public async Task<string?> BuildAsync(DateOnly day, string domain, CancellationToken cancellationToken)
    {
        var dayText = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await using var scope = _scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var counts = await db.TlsSessionCounts.AsNoTracking().Where(c => c.Day == dayText && c.PolicyDomain == domain).ToListAsync(cancellationToken);
        return counts.Count == 0 ? null : TlsReportJson.Build(Header(day, EndOf(day), $"{dayText}_{domain}"), domain, counts);
    }

    /// <summary>The last second of <paramref name="day"/> (UTC).</summary>
    public static DateTimeOffset EndOf(DateOnly day) => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1).AddSeconds(-1);

    private async Task<TlsReportResult> SendOneAsync(
        SecureFallbackDbContext db, string dayText, DateOnly day, DateTimeOffset end, string domain, List<TlsSessionCount> counts, Uri rua, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        var send = await RowAsync(db, dayText, domain, rua.OriginalString, now, cancellationToken);
        if (send.SentAt is not null)
        {
            return new(domain, rua.OriginalString, "already sent");
        }

        if (!await ClaimAsync(db, send.Id, now, cancellationToken))
        {
            return new(domain, rua.OriginalString, send.Attempts >= TlsReportSend.MaxAttempts ? "given up" : "busy");
        }

        var header = Header(day, end, send.ReportId);
        var gzip = TlsReportJson.Gzip(TlsReportJson.Build(header, domain, counts));
        var (successful, failed) = (counts.Where(c => c.ResultType == TlsRptResult.Success).Sum(c => c.SessionCount), counts.Where(c => c.ResultType != TlsRptResult.Success).Sum(c => c.SessionCount));
        Guid? messageId = null;
        // The POST is made before the write begins: the write gate is never held across the network.
        var error = rua.Scheme == Uri.UriSchemeMailto ? null : await PostAsync(rua, gzip, cancellationToken);
        await using (var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken))
        {
            if (rua.Scheme == Uri.UriSchemeMailto)
            {
                // Queued in the same transaction that marks the report sent: a crash cannot send it twice, nor lose it.
                var to = TlsRptRecord.MailAddress(rua);
                var mail = TlsReportMail.Compose(_options, _from, _helo, domain, header, gzip, to, now);
                messageId = NoticeQueue.Enqueue(db, _protector, _signer, mail, to, MessageKind.TlsReport, now);
            }

            await db.TlsReportSends.Where(s => s.Id == send.Id).ExecuteUpdateAsync(
                s => s.SetProperty(x => x.SentAt, error is null ? now : null)
                    .SetProperty(x => x.MessageId, messageId)
                    .SetProperty(x => x.SuccessfulSessions, successful)
                    .SetProperty(x => x.FailedSessions, failed)
                    .SetProperty(x => x.LastError, error == null ? null : error.Length > TlsReportSend.ErrorLength ? error.Substring(0, TlsReportSend.ErrorLength) : error)
                    .SetProperty(x => x.ClaimedUntil, (DateTimeOffset?)null),
                cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await write.CommitAsync(cancellationToken);
        }

        if (error is not null)
        {
            TlsReportLog.SendFailed(_logger, domain, dayText, rua.OriginalString, send.Attempts + 1, error);
            return new(domain, rua.OriginalString, $"failed: {error}");
        }

        _signal.Notify();
        TlsReportLog.Sent(_logger, domain, dayText, rua.OriginalString, successful, failed, send.ReportId);
        return new(domain, rua.OriginalString, "sent");
    }

    /// <summary>The day × domain × rua row, created on first use (by whichever instance is first).</summary>
    private static async Task<TlsReportSend> RowAsync(SecureFallbackDbContext db, string day, string domain, string rua, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var existing = await db.TlsReportSends.AsNoTracking().SingleOrDefaultAsync(s => s.Day == day && s.PolicyDomain == domain && s.Rua == rua, cancellationToken);
        if (existing is not null)
        {
            return existing;
        }

        var row = new TlsReportSend { Day = day, PolicyDomain = domain, Rua = rua, ReportId = Guid.CreateVersion7(now).ToString("N") };
        db.TlsReportSends.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            db.Entry(row).State = EntityState.Detached;
            return row;
        }
        catch (DbUpdateException)
        {
            // Another instance created it first (the unique day × domain × rua index): use theirs.
            db.Entry(row).State = EntityState.Detached;
            // Without a row the insert failed for another reason (a value the column cannot hold): that error stands.
            var theirs = await db.TlsReportSends.AsNoTracking().SingleOrDefaultAsync(s => s.Day == day && s.PolicyDomain == domain && s.Rua == rua, cancellationToken);
            if (theirs is null)
            {
                throw;
            }

            return theirs;
        }
    }

    /// <summary>Marks the rua's row (when it has one) failed with <paramref name="exception"/>'s message, and logs it.</summary>
    private async Task<TlsReportResult> RecordFailureAsync(SecureFallbackDbContext db, string dayText, string domain, Uri rua, Exception exception, CancellationToken cancellationToken)
    {
        var error = exception.Message.Length > TlsReportSend.ErrorLength ? exception.Message[..TlsReportSend.ErrorLength] : exception.Message;
        var attempt = 1;
        try
        {
            await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
            await db.TlsReportSends.Where(s => s.Day == dayText && s.PolicyDomain == domain && s.Rua == rua.OriginalString)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastError, error).SetProperty(x => x.ClaimedUntil, (DateTimeOffset?)null), cancellationToken);
            await write.CommitAsync(cancellationToken);
            attempt = await db.TlsReportSends.Where(s => s.Day == dayText && s.PolicyDomain == domain && s.Rua == rua.OriginalString).Select(s => s.Attempts).FirstOrDefaultAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is DbException or DbUpdateException or InvalidOperationException)
        {
            // Not even the failure can be recorded: the log line below is what remains of it.
        }

        TlsReportLog.SendFailed(_logger, domain, dayText, rua.OriginalString, attempt, error);
        return new(domain, rua.OriginalString, $"failed: {error}");
    }

    /// <summary>Claims the row for this run: one conditional update, so of two instances only one gets it.</summary>
    private static async Task<bool> ClaimAsync(SecureFallbackDbContext db, long id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
        var until = now + ClaimFor;
        var claimed = await db.TlsReportSends
            .Where(s => s.Id == id && s.SentAt == null && s.Attempts < TlsReportSend.MaxAttempts && (s.ClaimedUntil == null || s.ClaimedUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ClaimedUntil, until).SetProperty(x => x.Attempts, x => x.Attempts + 1).SetProperty(x => x.LastAttemptAt, now), cancellationToken);
        await write.CommitAsync(cancellationToken);
        return claimed == 1;
    }

    private async Task<IReadOnlyList<Uri>> ReportAddressesAsync(string domain, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _dns.QueryAsync($"_smtp._tls.{domain}", QueryType.TXT, cancellationToken: cancellationToken);
            if (response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
            {
                TlsReportLog.LookupFailed(_logger, domain, response.ErrorMessage);
                return [];
            }

            return TlsRptRecord.ReportAddresses(response.Answers.TxtRecords().Select(t => string.Concat(t.Text)));
        }
        catch (DnsResponseException ex)
        {
            TlsReportLog.LookupFailed(_logger, domain, ex.Message);
            return [];
        }
    }

    /// <summary>POSTs the report (RFC 8460 5.2): WebPKI-valid certificate, no redirects; any 2xx is accepted.</summary>
    /// <returns>The error, or null.</returns>
    private async Task<string?> PostAsync(Uri rua, byte[] gzip, CancellationToken cancellationToken)
    {
        using var http = _webPki.Create(rua.IdnHost, PostTimeout, publicOnly: !_options.AllowPrivateEndpoints);
        http.MaxResponseContentBufferSize = MaxResponseBytes; // only the status matters; a huge reply is not read
        using var content = new ByteArrayContent(gzip);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/tlsrpt+gzip");
        try
        {
            using var response = await http.PostAsync(rua, content, cancellationToken);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return ex.Message;
        }
    }

    private TlsReportHeader Header(DateOnly day, DateTimeOffset end, string reportId) =>
        new(_options.OrganizationName, _options.ContactInfo, reportId, new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), end);
}
