using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Data;

namespace SecureFallback.Admin;

/// <summary>Counts of submitted recipients by final state.</summary>
public sealed record StatusCounts(int DeliveredOverTls, int DeliveredWithoutTls, int Held, int Bounced, int ExpiredUnread, int Queued, int Revoked);

/// <summary>One day of the dashboard chart.</summary>
public sealed record DayCounts(DateOnly Day, int Delivered, int Held, int Bounced);

/// <summary>A recipient domain whose servers lacked usable TLS, and how often.</summary>
public sealed record DomainCount(string Domain, int Recipients);

/// <summary>One row of the shadow report: TLS deliveries to a domain and how many a stricter level would have refused.</summary>
public sealed record ShadowRow(string Domain, int DeliveredOverTls, int FailVerify, int FailSecure);

/// <summary>A recipient domain's last TLS report sent (RFC 8460), to one of its addresses, and its counts.</summary>
public sealed record TlsReportRow(string Domain, string Day, string Rua, DateTimeOffset SentAt, long Successful, long Failed);

/// <summary>The admin console's read side. Envelope data and outcomes only: message content is never read here.</summary>
public sealed class AdminQueries(SecureFallbackDbContext db, TimeProvider timeProvider)
{
    private IQueryable<QueuedRecipient> Submitted => db.Recipients.Where(r => r.Message!.Kind == MessageKind.Submitted);

    public async Task<StatusCounts> CountsAsync(CancellationToken cancellationToken)
    {
        var byStatus = await Submitted.GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        int Count(RecipientStatus status) => byStatus.FirstOrDefault(c => c.Key == status)?.Count ?? 0;
        var withoutTls = await Submitted.CountAsync(r => r.Status == RecipientStatus.Delivered && r.DeliveredInClear, cancellationToken);
        return new StatusCounts(Count(RecipientStatus.Delivered) - withoutTls, withoutTls, Count(RecipientStatus.HeldForPickup), Count(RecipientStatus.Failed), Count(RecipientStatus.PickupExpired), Count(RecipientStatus.Queued), Count(RecipientStatus.Revoked));
    }

    /// <summary>Per day of arrival over the last <paramref name="days"/> days: where the recipients ended up.</summary>
    public async Task<List<DayCounts>> DaysAsync(int days, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(timeProvider.GetUtcNow().UtcDateTime);
        var since = new DateTimeOffset(today.AddDays(1 - days).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var rows = await Submitted.Where(r => r.Message!.ReceivedAt >= since)
            .Select(r => new { r.Message!.ReceivedAt, r.Status })
            .ToListAsync(cancellationToken);
        return Enumerable.Range(0, days).Select(offset =>
        {
            var day = today.AddDays(offset + 1 - days);
            var ofDay = rows.Where(r => DateOnly.FromDateTime(r.ReceivedAt.UtcDateTime) == day).ToList();
            return new DayCounts(
                day,
                ofDay.Count(r => r.Status == RecipientStatus.Delivered),
                ofDay.Count(r => r.Status is RecipientStatus.HeldForPickup or RecipientStatus.PickupExpired),
                ofDay.Count(r => r.Status == RecipientStatus.Failed));
        }).ToList();
    }

    public async Task<List<DomainCount>> DomainsLackingTlsAsync(int top, CancellationToken cancellationToken) =>
        (await Submitted.Where(r => r.LastOutcome == DeliveryOutcome.TlsUnavailable || r.LastOutcome == DeliveryOutcome.TlsFailed)
            .GroupBy(r => r.Domain)
            .Select(g => new { Domain = g.Key, Count = g.Count() })
            .OrderByDescending(d => d.Count)
            .Take(top)
            .ToListAsync(cancellationToken))
            .Select(d => new DomainCount(d.Domain, d.Count))
            .ToList();

    public Task<List<QueuedMessage>> RecentMessagesAsync(int count, CancellationToken cancellationToken) =>
        db.Messages.AsNoTracking().Include(m => m.Recipients).Where(m => m.Kind == MessageKind.Submitted)
            .OrderByDescending(m => m.ReceivedAt).Take(count).ToListAsync(cancellationToken);

    public async Task<(QueuedMessage? Message, List<DeliveryAttempt> Attempts)> TrailAsync(Guid messageId, CancellationToken cancellationToken)
    {
        var message = await db.Messages.AsNoTracking().Include(m => m.Recipients).SingleOrDefaultAsync(m => m.Id == messageId, cancellationToken);
        var attempts = await db.DeliveryAttempts.AsNoTracking().Where(a => a.MessageId == messageId).OrderBy(a => a.Id).ToListAsync(cancellationToken);
        return (message, attempts);
    }

    /// <summary>TLS deliveries per domain since <paramref name="since"/>, and how many would have failed at verify / secure.</summary>
    public async Task<List<ShadowRow>> ShadowAsync(TimeSpan since, CancellationToken cancellationToken)
    {
        var from = timeProvider.GetUtcNow() - since;
        var rows = await db.DeliveryAttempts.AsNoTracking()
            .Where(a => a.StartedAt >= from && a.Outcome == DeliveryOutcome.Delivered && a.TlsProtocol != null && a.MeetsVerify != null)
            .Join(db.Recipients.Where(r => r.Message!.Kind == MessageKind.Submitted), a => a.RecipientId, r => r.Id, (a, r) => new { r.Domain, a.MeetsVerify, a.MeetsSecure })
            .ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.Domain)
            .Select(g => new ShadowRow(g.Key, g.Count(), g.Count(r => r.MeetsVerify == false), g.Count(r => r.MeetsSecure == false)))
            .OrderByDescending(r => r.FailVerify).ThenByDescending(r => r.FailSecure).ThenBy(r => r.Domain)
            .ToList();
    }

    /// <summary>Every attempt in the period with its recipient's decision, as CSV (RFC 4180). Never message content.</summary>
    public async Task WriteAuditCsvAsync(TextWriter writer, TimeSpan period, CancellationToken cancellationToken)
    {
        var from = timeProvider.GetUtcNow() - period;
        await writer.WriteLineAsync("attempt_time,message_id,kind,sender,recipient,policy_level,policy_action,policy_source,host,ip,port,outcome,reason,required_level,tls_protocol,tls_cipher,certificate_sha256,meets_verify,meets_secure,recipient_status,status_code,smtp_reply");
        var rows = db.DeliveryAttempts.AsNoTracking()
            .Where(a => a.StartedAt >= from)
            .OrderBy(a => a.Id)
            .Join(db.Recipients.Include(r => r.Message), a => a.RecipientId, r => r.Id, (a, r) => new { a, r })
            .AsAsyncEnumerable();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            var (a, r) = (row.a, row.r);
            string?[] fields =
            [
                a.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), a.MessageId.ToString(), r.Message!.Kind.ToString(),
                r.Message.EnvelopeFrom, r.Address, r.PolicyLevel is { } level ? Core.Policies.PolicyNames.Of(level) : null,
                r.PolicyAction is { } action ? Core.Policies.PolicyNames.Of(action) : null, r.PolicySource, a.Host, a.IpAddress,
                a.Port.ToString(CultureInfo.InvariantCulture), a.Outcome.ToString(), a.Reason,
                a.RequiredLevel is { } required ? Core.Policies.PolicyNames.Of(required) : null, a.TlsProtocol, a.TlsCipher, a.CertificateSha256,
                a.MeetsVerify?.ToString(), a.MeetsSecure?.ToString(), r.Status.ToString(), r.StatusCode, a.SmtpReply,
            ];
            await writer.WriteLineAsync(string.Join(',', fields.Select(Csv)));
        }

        await WriteHoldActionsCsvAsync(writer, from, cancellationToken);
        await WriteTlsReportSendsCsvAsync(writer, from, cancellationToken);
    }

    /// <summary>
    /// TLS reports (RFC 8460) sent or tried in the period, as rows of the same CSV: kind <c>TlsReport</c>, recipient
    /// the rua, <c>outcome</c> <c>tls-report-sent</c> or <c>tls-report-failed</c>, <c>reason</c> the domain and day,
    /// <c>smtp_reply</c> the report id and counts, or the last error.
    /// </summary>
    private async Task WriteTlsReportSendsCsvAsync(TextWriter writer, DateTimeOffset from, CancellationToken cancellationToken)
    {
        var sends = db.TlsReportSends.AsNoTracking().Where(s => s.LastAttemptAt >= from).OrderBy(s => s.Id).AsAsyncEnumerable();
        await foreach (var s in sends.WithCancellation(cancellationToken))
        {
            string?[] fields =
            [
                s.LastAttemptAt!.Value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), s.MessageId?.ToString(), MessageKind.TlsReport.ToString(),
                "", s.Rua, null, null, null, null, null, null, s.SentAt is null ? "tls-report-failed" : "tls-report-sent", $"{s.PolicyDomain} {s.Day}",
                null, null, null, null, null, null, null, null,
                s.LastError ?? $"report {s.ReportId}: {s.SuccessfulSessions} successful, {s.FailedSessions} failed sessions",
            ];
            await writer.WriteLineAsync(string.Join(',', fields.Select(Csv)));
        }
    }

    /// <summary>
    /// Revocations and extensions in the period, as rows of the same CSV: <c>outcome</c> is <c>revoke</c> or
    /// <c>extend</c>, <c>reason</c> says who, <c>smtp_reply</c> the new end of an extended hold.
    /// </summary>
    private async Task WriteHoldActionsCsvAsync(TextWriter writer, DateTimeOffset from, CancellationToken cancellationToken)
    {
        var rows = db.HoldActions.AsNoTracking()
            .Where(h => h.At >= from)
            .OrderBy(h => h.Id)
            .Join(db.Recipients.Include(r => r.Message), h => h.RecipientId, r => r.Id, (h, r) => new { h, r })
            .AsAsyncEnumerable();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            var (h, r) = (row.h, row.r);
            string?[] fields =
            [
                h.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), h.MessageId.ToString(), r.Message!.Kind.ToString(),
                r.Message.EnvelopeFrom, r.Address, null, null, r.PolicySource, null, null, null, h.Action, h.By, null, null, null, null, null, null,
                r.Status.ToString(), r.StatusCode,
                h.HoldUntil is { } until ? "held until " + until.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : null,
            ];
            await writer.WriteLineAsync(string.Join(',', fields.Select(Csv)));
        }
    }

    /// <summary>RFC 4180 quoting, and a leading quote mark for values a spreadsheet would run as a formula.</summary>
    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>Per recipient domain, its last TLS report sent (each of its addresses for that day), newest domains first.</summary>
    public async Task<List<TlsReportRow>> LastTlsReportsAsync(int days, CancellationToken cancellationToken)
    {
        var since = DateOnly.FromDateTime(timeProvider.GetUtcNow().UtcDateTime).AddDays(-days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var sent = await db.TlsReportSends.AsNoTracking()
            .Where(s => s.SentAt != null && string.Compare(s.Day, since) >= 0)
            .Select(s => new TlsReportRow(s.PolicyDomain, s.Day, s.Rua, s.SentAt!.Value, s.SuccessfulSessions, s.FailedSessions))
            .ToListAsync(cancellationToken);
        return [.. sent.GroupBy(s => s.Domain)
            .SelectMany(domain => domain.Where(s => s.Day == domain.Max(d => d.Day)))
            .OrderByDescending(s => s.Day, StringComparer.Ordinal).ThenBy(s => s.Domain, StringComparer.Ordinal).ThenBy(s => s.Rua, StringComparer.Ordinal)];
    }
}
