using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SecureFallback.Benchmarks;

/// <summary>
/// <c>smtp-load PORT MESSAGES SESSIONS SIZE</c>: a bounded SMTP load client for loopback benchmarks. Like Postfix's
/// smtp-source (one connection per message, SESSIONS at a time), but it also times each transaction from connect
/// to the 250 after the final dot, so the table can show p50/p99 beside the rate. Prints one line:
/// <c>msgs/s p50_ms p99_ms failures</c>.
/// </summary>
internal static class SmtpLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var (port, messages, sessions, size) = (int.Parse(args[0]), int.Parse(args[1]), int.Parse(args[2]), int.Parse(args[3]));
        var body = BuildBody(size);
        var latencies = new double[messages];
        var next = -1;
        var failures = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, sessions).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < messages)
            {
                var begin = Stopwatch.GetTimestamp();
                try
                {
                    await SendOneAsync(port, body, deadline.Token);
                    latencies[index] = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
                }
                catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException)
                {
                    Interlocked.Increment(ref failures);
                    latencies[index] = double.NaN;
                }
            }
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var sorted = latencies.Where(l => !double.IsNaN(l)).Order().ToArray();
        double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        Console.WriteLine(FormattableString.Invariant($"{(messages - failures) / seconds:F0} {Percentile(0.50):F1} {Percentile(0.99):F1} {failures}"));
        return failures == 0 ? 0 : 1;
    }

    private static byte[] BuildBody(int size)
    {
        var text = new StringBuilder("From: <sender@bench.test>\r\nTo: <rcpt@bench.test>\r\nSubject: bench\r\n\r\n");
        var line = new string('x', 76) + "\r\n";
        while (text.Length < size)
        {
            text.Append(line);
        }

        return Encoding.ASCII.GetBytes(text.Append(".\r\n").ToString());
    }

    private static async Task SendOneAsync(int port, byte[] body, CancellationToken cancellationToken)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port, cancellationToken);
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await ExpectAsync(reader, "220", cancellationToken);
        await WriteAsync(stream, "EHLO load.bench.test\r\n", cancellationToken);
        await ExpectAsync(reader, "250", cancellationToken);
        await WriteAsync(stream, "MAIL FROM:<sender@bench.test>\r\n", cancellationToken);
        await ExpectAsync(reader, "250", cancellationToken);
        await WriteAsync(stream, "RCPT TO:<rcpt@bench.test>\r\n", cancellationToken);
        await ExpectAsync(reader, "250", cancellationToken);
        await WriteAsync(stream, "DATA\r\n", cancellationToken);
        await ExpectAsync(reader, "354", cancellationToken);
        await stream.WriteAsync(body, cancellationToken);
        await ExpectAsync(reader, "250", cancellationToken);
        await WriteAsync(stream, "QUIT\r\n", cancellationToken);
    }

    private static Task WriteAsync(NetworkStream stream, string line, CancellationToken cancellationToken) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(line), cancellationToken).AsTask();

    /// <summary>Reads a (multi-line) reply and checks its code.</summary>
    private static async Task ExpectAsync(StreamReader reader, string code, CancellationToken cancellationToken)
    {
        string? line;
        do
        {
            line = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("connection closed");
        }
        while (line.Length > 3 && line[3] == '-');

        if (!line.StartsWith(code, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"expected {code}, got {line}");
        }
    }
}
