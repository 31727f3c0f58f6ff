using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecureFallback.TestKit;

/// <summary>How a <see cref="ScriptedSmtpReceiver"/> treats TLS.</summary>
public enum ScriptedTlsBehaviour
{
    /// <summary>EHLO does not list STARTTLS.</summary>
    NoStartTls,

    /// <summary>STARTTLS is listed and answered 220, then the "handshake" gets bytes that are not TLS.</summary>
    BrokenHandshake,

    /// <summary>STARTTLS is listed but the command is refused with 454.</summary>
    RefuseStartTls,
}

/// <summary>
/// A raw-socket SMTP peer that logs every line it receives, so a test can prove what was (not) sent in clear.
/// It would accept MAIL, RCPT and DATA in clear text, as a careless receiver does.
/// </summary>
public sealed class ScriptedSmtpReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ScriptedTlsBehaviour _behaviour;

    public ScriptedSmtpReceiver(ScriptedTlsBehaviour behaviour)
    {
        _behaviour = behaviour;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Route => $"127.0.0.1:{Port}";

    /// <summary>Every line received, in order, over all connections.</summary>
    public ConcurrentQueue<string> Lines { get; } = new();

    public int Connections;

    /// <summary>True if anything that belongs to a mail transaction arrived.</summary>
    public bool ReceivedMailTransaction => Lines.Any(l =>
        l.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase) ||
        l.StartsWith("RCPT", StringComparison.OrdinalIgnoreCase) ||
        l.StartsWith("DATA", StringComparison.OrdinalIgnoreCase) ||
        l.StartsWith("BDAT", StringComparison.OrdinalIgnoreCase));

    /// <summary>Messages this (careless) receiver accepted in clear text, in order of arrival.</summary>
    public IReadOnlyCollection<ReceivedMessage> Messages => _messages.ToArray();

    private readonly ConcurrentQueue<ReceivedMessage> _messages = new();

    /// <summary>Waits for the first message accepted in clear text and parses it.</summary>
    public async Task<MimeKit.MimeMessage> WaitForMessageAsync(TimeSpan? timeout = null) =>
        (await WaitForMessagesAsync(1, timeout)).First().Parse();

    /// <summary>Waits until at least <paramref name="count"/> messages arrived.</summary>
    public async Task<IReadOnlyCollection<ReceivedMessage>> WaitForMessagesAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (_messages.Count >= count)
            {
                return Messages;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{_messages.Count} of {count} messages arrived: " + string.Join(" | ", Lines));
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref Connections);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
            await WriteAsync(stream, "220 plain.test ESMTP scripted\r\n");
            var inData = false;
            var (from, recipients, data) = ("", new List<string>(), new StringBuilder());
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                Lines.Enqueue(line);
                if (inData)
                {
                    if (line == ".")
                    {
                        inData = false;
                        _messages.Enqueue(new ReceivedMessage(from, recipients, Encoding.UTF8.GetBytes(data.ToString()), OverTls: false));
                        (recipients, data) = ([], new StringBuilder());
                        await WriteAsync(stream, "250 2.0.0 accepted in clear text\r\n");
                    }
                    else
                    {
                        data.Append(line.StartsWith("..", StringComparison.Ordinal) ? line[1..] : line).Append("\r\n");
                    }

                    continue;
                }

                if (line.StartsWith("MAIL FROM:", StringComparison.OrdinalIgnoreCase))
                {
                    from = AddressIn(line);
                }
                else if (line.StartsWith("RCPT TO:", StringComparison.OrdinalIgnoreCase))
                {
                    recipients.Add(AddressIn(line));
                }

                var verb = line.Split(' ')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        var tls = _behaviour == ScriptedTlsBehaviour.NoStartTls ? "" : "250-STARTTLS\r\n";
                        await WriteAsync(stream, $"250-plain.test\r\n250-PIPELINING\r\n{tls}250 8BITMIME\r\n");
                        break;
                    case "STARTTLS" when _behaviour == ScriptedTlsBehaviour.RefuseStartTls:
                        await WriteAsync(stream, "454 4.7.0 TLS not available due to temporary reason\r\n");
                        break;
                    case "STARTTLS":
                        await WriteAsync(stream, "220 2.0.0 Ready to start TLS\r\n");
                        await WriteAsync(stream, "this is not a TLS server hello\r\n");
                        return;
                    case "DATA":
                        inData = true;
                        await WriteAsync(stream, "354 go ahead\r\n");
                        break;
                    case "QUIT":
                        await WriteAsync(stream, "221 bye\r\n");
                        return;
                    default:
                        await WriteAsync(stream, "250 ok\r\n");
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client hung up, as a careful client does after a failed STARTTLS.
        }
    }

    private static string AddressIn(string command)
    {
        var (open, close) = (command.IndexOf('<', StringComparison.Ordinal), command.IndexOf('>', StringComparison.Ordinal));
        return open >= 0 && close > open ? command[(open + 1)..close] : "";
    }

    private static Task WriteAsync(NetworkStream stream, string text) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
