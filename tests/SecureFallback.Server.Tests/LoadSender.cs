using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace SecureFallback.Server.Tests;

/// <summary>
/// A bounded SMTP load client for crash and disk-full tests (loopback only): sends messages numbered 0..N-1 over a few
/// connections, each number once, and records which got a 250, which a refusal, and which lost their answer (the
/// server died mid-transaction). A dead server is waited for; the client reconnects and goes on with the next number.
/// </summary>
internal sealed partial class LoadSender(int port, string recipient, int messageBytes = 1024)
{
    private int _next = -1;

    public ConcurrentDictionary<int, byte> Acknowledged { get; } = new();

    public ConcurrentDictionary<int, string> Refused { get; } = new();

    public ConcurrentDictionary<int, byte> Unanswered { get; } = new();

    public static string IdHeader => "X-Load-Id";

    /// <summary>The message numbers a receiver took, in arrival order, repeats included.</summary>
    public static List<int> ReceivedIds(TestKit.TlsSmtpReceiver receiver) =>
        [.. receiver.Messages.Select(m => LoadId().Match(m.Text)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException("not everything acknowledged arrived");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"X-Load-Id: (\d+)")]
    private static partial System.Text.RegularExpressions.Regex LoadId();

    /// <summary>The last thing that went wrong, for a test's failure message.</summary>
    public string? LastProblem { get; private set; }

    public Task RunAsync(int count, int connections, CancellationToken cancellationToken) =>
        RunAsync([.. Enumerable.Range(0, count)], connections, cancellationToken);

    /// <summary>Sends the messages numbered <paramref name="ids"/>, each once.</summary>
    public async Task RunAsync(IReadOnlyList<int> ids, int connections, CancellationToken cancellationToken) =>
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => SendLoopAsync(ids, cancellationToken)));

    private async Task SendLoopAsync(IReadOnlyList<int> ids, CancellationToken cancellationToken)
    {
        var count = ids.Count;
        var index = Interlocked.Increment(ref _next);
        while (index < count && !cancellationToken.IsCancellationRequested)
        {
            Session? session = null;
            try
            {
                session = await Session.OpenAsync(port, cancellationToken);
                while (index < count)
                {
                    var id = ids[index];
                    var outcome = await session.SendAsync(id, recipient, messageBytes, cancellationToken);
                    if (outcome is null)
                    {
                        LastProblem = session.LastRefusal;
                        break; // reconnect, same number
                    }

                    if (outcome.StartsWith('2'))
                    {
                        Acknowledged[id] = 0;
                    }
                    else
                    {
                        Refused[id] = outcome;
                    }

                    index = Interlocked.Increment(ref _next);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                LastProblem = ex.Message;
                if (session?.DataSent == true)
                {
                    Unanswered[ids[index]] = 0; // sent, but the answer never came: it may or may not be stored
                    index = Interlocked.Increment(ref _next);
                }

                await Task.Delay(100, cancellationToken);
            }
            finally
            {
                session?.Dispose();
            }
        }
    }

    private sealed class Session : IDisposable
    {
        private readonly TcpClient _client;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private Session(TcpClient client)
        {
            _client = client;
            _stream = client.GetStream();
            _reader = new StreamReader(_stream, Encoding.ASCII);
        }

        public bool DataSent { get; private set; }

        public string? LastRefusal { get; private set; }

        public static async Task<Session> OpenAsync(int port, CancellationToken cancellationToken)
        {
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            }
            catch
            {
                client.Dispose();
                throw;
            }

            var session = new Session(client);
            if (!(await session.ReplyAsync()).StartsWith("220", StringComparison.Ordinal) ||
                !(await session.CommandAsync("EHLO load.test")).StartsWith("250", StringComparison.Ordinal))
            {
                session.Dispose();
                throw new IOException("no service");
            }

            return session;
        }

        /// <summary>One transaction; the final reply, or null when refused before any data was sent.</summary>
        public async Task<string?> SendAsync(int id, string recipient, int size, CancellationToken cancellationToken)
        {
            DataSent = false;
            foreach (var (command, expected) in new[] { ("MAIL FROM:<load@sender.test>", "250"), ($"RCPT TO:<{recipient}>", "250"), ("DATA", "354") })
            {
                var reply = await CommandAsync(command);
                if (!reply.StartsWith(expected, StringComparison.Ordinal))
                {
                    LastRefusal = $"{command} -> {reply}";
                    await CommandAsync("RSET");
                    return null;
                }
            }

            var body = new StringBuilder()
                .Append($"{IdHeader}: {id}\r\nSubject: load {id}\r\nFrom: load@sender.test\r\n\r\n");
            while (body.Length < size)
            {
                body.Append("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n");
            }

            DataSent = true;
            await _stream.WriteAsync(Encoding.ASCII.GetBytes(body.Append(".\r\n").ToString()), cancellationToken);
            return await ReplyAsync();
        }

        private async Task<string> CommandAsync(string line)
        {
            await _stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
            return await ReplyAsync();
        }

        private async Task<string> ReplyAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException("connection closed");
                if (line.Length < 4 || line[3] != '-')
                {
                    return line;
                }
            }
        }

        public void Dispose()
        {
            _reader.Dispose();
            _client.Dispose();
        }
    }
}
