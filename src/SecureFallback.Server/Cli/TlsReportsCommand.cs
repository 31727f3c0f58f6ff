using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SecureFallback.Data;
using SecureFallback.Delivery;
using SecureFallback.Delivery.Reports;
using SecureFallback.Protection;

namespace SecureFallback.Server.Cli;

/// <summary>
/// <c>securefallback tls-reports list</c> (days × domains with session counts), <c>tls-reports show DATE DOMAIN</c>
/// (the RFC 8460 JSON) and <c>tls-reports send [--date DATE] [--now]</c>: build and send a day's reports at once
/// (default yesterday UTC; <c>--now</c> today so far). A report already sent to a rua is not sent again.
/// </summary>
internal static class TlsReportsCommand
{
    /// <summary>Exit code of a report that could not be sent, or a day or domain without counts.</summary>
    private const int NotDone = 1;

    public static async Task<int> RunAsync(string[] words, string[] settings)
    {
        var (options, rest) = CommandLine.TakeOptions(settings, "--date", "--now");
        DateOnly? date = null;
        if (options.TryGetValue("--date", out var dateText) && TryParseDay(dateText, out var parsed))
        {
            date = parsed;
        }

        var refused = words switch
        {
            ["list"] or ["show", _, _] => options.Count > 0,
            ["send"] => (options.ContainsKey("--date") && date is null) || (date is not null && options.ContainsKey("--now")),
            _ => true,
        };
        if (refused || (words is ["show", var showDay, _] && !TryParseDay(showDay, out _)))
        {
            return CliVerbs.Refuse(["tls-reports", .. words]);
        }

        using var host = CliHost.Build(rest, services => services.AddBranding().AddSecureFallbackProtection().AddSecureFallbackDelivery(runQueue: false));
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        await db.MigrateToCurrentAsync();
        var sender = scope.ServiceProvider.GetRequiredService<TlsReportSender>();
        switch (words)
        {
            case ["list"]:
                return await ListAsync(db);
            case ["show", var day, var domain]:
                TryParseDay(day, out var shown);
                var json = await sender.BuildAsync(shown, domain.ToLowerInvariant(), CancellationToken.None);
                Console.WriteLine(json ?? $"No TLS sessions with {domain} were recorded on {day}.");
                return json is null ? NotDone : 0;
            default:
                var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
                var today = DateOnly.FromDateTime(now.UtcDateTime);
                var sendDay = options.ContainsKey("--now") ? today : date ?? today.AddDays(-1);
                var results = await sender.SendAsync(sendDay, sendDay == today ? now : TlsReportSender.EndOf(sendDay), CancellationToken.None);
                foreach (var result in results)
                {
                    Console.WriteLine(result.Rua.Length == 0 ? $"{result.Domain}: {result.Outcome}, nothing sent"
                        : result.Outcome.StartsWith("failed: ", StringComparison.Ordinal) ? $"{result.Domain}: failed to send to {result.Rua}: {result.Outcome["failed: ".Length..]}"
                        : $"{result.Domain}: {result.Outcome} to {result.Rua}");
                }

                Console.WriteLine(results.Count == 0 ? $"No TLS sessions were recorded on {sendDay:yyyy-MM-dd}." : $"{results.Count(r => r.Outcome == "sent")} report(s) sent for {sendDay:yyyy-MM-dd}.");
                return results.Any(r => r.Outcome.StartsWith("failed", StringComparison.Ordinal)) ? NotDone : 0;
        }
    }

    private static async Task<int> ListAsync(SecureFallbackDbContext db)
    {
        var rows = await db.TlsSessionCounts.AsNoTracking()
            .GroupBy(c => new { c.Day, c.PolicyDomain })
            .Select(g => new
            {
                g.Key.Day,
                g.Key.PolicyDomain,
                Successful = g.Where(c => c.ResultType == Core.Reporting.TlsRptResult.Success).Sum(c => c.SessionCount),
                Failed = g.Where(c => c.ResultType != Core.Reporting.TlsRptResult.Success).Sum(c => c.SessionCount),
            })
            .ToListAsync();
        var sent = await db.TlsReportSends.AsNoTracking().Where(s => s.SentAt != null).Select(s => new { s.Day, s.PolicyDomain }).ToListAsync();
        foreach (var row in rows.OrderByDescending(r => r.Day, StringComparer.Ordinal).ThenBy(r => r.PolicyDomain, StringComparer.Ordinal))
        {
            var reported = sent.Any(s => s.Day == row.Day && s.PolicyDomain == row.PolicyDomain) ? "\treport sent" : "";
            Console.WriteLine($"{row.Day}\t{row.PolicyDomain}\t{row.Successful} successful\t{row.Failed} failed{reported}");
        }

        return 0;
    }

    private static bool TryParseDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
}
