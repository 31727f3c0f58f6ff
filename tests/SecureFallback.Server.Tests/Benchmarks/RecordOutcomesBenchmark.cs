using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using SecureFallback.Data;
using SecureFallback.Delivery.Outcomes;
using SecureFallback.Delivery.Transport;
using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Server.Tests.Benchmarks;

/// <summary>
/// Issue 18's harness, not part of the suite (skipped unless <c>SECUREFALLBACK_RECORD_BENCH</c> names a file for its
/// report): records outcomes for queued messages the way delivery does (claimed recipients, one delivered attempt
/// over TLS each, TLS session counts on, content purged) on the test database (SQLite file by default), and reports
/// wall and process CPU time per recorded message and the SQL sent per commit. See bench/RESULTS.md.
/// </summary>
public sealed class RecordOutcomesBenchmark(ITestOutputHelper output)
{
    private const string Me = "bench-recorder";
    private static readonly int[] BatchSizes = [1, 8];

    [BenchmarkFact]
    public async Task RecordOutcomes_ReportsTimeAndStatementsPerCommit()
    {
        var runs = int.Parse(Environment.GetEnvironmentVariable("RUNS") ?? "5", CultureInfo.InvariantCulture);
        const int PerRun = 200;
        const int Warmup = 300;
        using var sql = new SqlCapture();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Roles"] = "Intake", // no queue runner: the harness holds the claims
            ["SecureFallback:InstanceName"] = Me,
        });
        var queue = new Queue<QueuedRecipient>(await SeedAsync(server, Warmup + 1 + (runs * PerRun * BatchSizes.Length)));
        var recorder = server.Services.GetRequiredService<OutcomeRecorder>();
        var report = new StringBuilder();

        foreach (var size in BatchSizes)
        {
            await RecordAsync(recorder, queue, Warmup / BatchSizes.Length, size); // JIT, query compilation, pools
        }

        using (var one = SqlCapture.Capture())
        {
            await recorder.RecordAsync([Outcome(queue.Dequeue())]);
            report.AppendLine(CultureInfo.InvariantCulture, $"SQL of one commit of one message ({one.Commands.Count} commands):");
            foreach (var command in one.Commands)
            {
                report.AppendLine("  " + command.ReplaceLineEndings(" "));
            }
        }

        // The batch sizes take turns, so that neither gets the quieter moments of a shared machine, nor the late JIT.
        var results = BatchSizes.ToDictionary(size => size, _ => new List<(double Wall, double Cpu, double Commands, double Statements)>());
        report.AppendLine("batch run  wall-us/msg  cpu-us/msg  commands/commit  statements/commit");
        for (var run = 0; run < runs; run++)
        {
            foreach (var size in BatchSizes)
            {
                using var recording = SqlCapture.Capture();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                var commits = await RecordAsync(recorder, queue, PerRun, size);
                var (elapsed, cpuUsed) = (wall.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
                var commands = recording.Commands;
                var statements = commands.Sum(c => c.Split(';').Count(s => !string.IsNullOrWhiteSpace(s)));
                var result = (elapsed.TotalMicroseconds / PerRun, cpuUsed.TotalMicroseconds / PerRun, (double)commands.Count / commits, (double)statements / commits);
                results[size].Add(result);
                report.AppendLine(CultureInfo.InvariantCulture, $"{size,5} {run,3}  {result.Item1,10:F0}  {result.Item2,10:F0}  {result.Item3,15:F1}  {result.Item4,17:F1}");
            }
        }

        foreach (var (size, all) in results)
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"{size,5} med  {Median(all.Select(r => r.Wall)),10:F0}  {Median(all.Select(r => r.Cpu)),10:F0}  {Median(all.Select(r => r.Commands)),15:F1}  {Median(all.Select(r => r.Statements)),17:F1}");
        }

        var recorded = (await server.RecipientsAsync()).Where(r => r.AttemptCount > 0).ToList();
        Assert.All(recorded, r => Assert.Equal(RecipientStatus.Delivered, r.Status));
        Assert.Equal(recorded.Count, (await server.AttemptsAsync()).Count);
        output.WriteLine(report.ToString());
        await File.WriteAllTextAsync(Environment.GetEnvironmentVariable("SECUREFALLBACK_RECORD_BENCH")!, report.ToString());
    }

    /// <returns>How many commits it took.</returns>
    private static async Task<int> RecordAsync(OutcomeRecorder recorder, Queue<QueuedRecipient> queue, int count, int batch)
    {
        var commits = 0;
        for (var done = 0; done < count; done += batch, commits++)
        {
            await recorder.RecordAsync([.. Enumerable.Range(0, Math.Min(batch, count - done)).Select(_ => Outcome(queue.Dequeue()))]);
        }

        return commits;
    }

    private static MessageOutcome Outcome(QueuedRecipient recipient)
    {
        var tls = new TlsSessionInfo("Tls13", "TLS_AES_256_GCM_SHA384", "CN=mx.bench.test", "ab12");
        var attempt = new AttemptRecord("mx.bench.test", IPAddress.Loopback, 25, HostAttemptResult.Delivered($"250 2.0.0 Ok: queued as {recipient.Id:X6}"), tls, DateTimeOffset.UtcNow, TlsLevel.Encrypt);
        return new MessageOutcome(recipient.MessageId, new() { [recipient.Id] = [attempt] }, PolicyDecision.Default, "bench.test");
    }

    /// <summary>Queues <paramref name="count"/> one-recipient messages through the intake and claims them all for <see cref="Me"/>.</summary>
    private static async Task<List<QueuedRecipient>> SeedAsync(SecureFallbackInstance server, int count)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                await server.SendAsync("alice@sender.test", ["bob@bench.test"], "bench", "a short body\r\n");
            }
        }));
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            await db.Recipients.ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, Me).SetProperty(r => r.LeaseUntil, DateTimeOffset.UtcNow.AddHours(1)));
        }

        var recipients = await server.RecipientsAsync();
        Assert.Equal(count, recipients.Count);
        return recipients;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}

/// <summary>A benchmark, run only when <c>SECUREFALLBACK_RECORD_BENCH</c> names the file for its report.</summary>
internal sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SECUREFALLBACK_RECORD_BENCH")))
        {
            Skip = "A benchmark: set SECUREFALLBACK_RECORD_BENCH to a file for its report to run it.";
        }
    }
}
