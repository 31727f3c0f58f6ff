using System.Net.Sockets;
using System.Text;

namespace SecureFallback.TestKit;

/// <summary>A line-level SMTP client for protocol tests that MailKit would refuse to send (bare LF, odd syntax).</summary>
public sealed class RawSmtpClient : IAsyncDisposable
{
    private readonly TcpClient _client;
    private Stream _stream;
    private StreamReader _reader;

    private RawSmtpClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new StreamReader(_stream, Encoding.ASCII);
    }

    /// <summary>The server's first reply: 220 normally, 421 when it refuses the connection.</summary>
    public string Greeting { get; private set; } = "";

    /// <summary>Connects and reads the greeting; <paramref name="from"/> binds the client side (any 127.x works on Linux).</summary>
    public static async Task<RawSmtpClient> ConnectAsync(int port, string host = "127.0.0.1", System.Net.IPAddress? from = null)
    {
        var client = from is null ? new TcpClient() : new TcpClient(new System.Net.IPEndPoint(from, 0));
        await client.ConnectAsync(host, port);
        var raw = new RawSmtpClient(client);
        raw.Greeting = await raw.ReadReplyAsync();
        return raw;
    }

    /// <summary>True when the server closes the connection within <paramref name="timeout"/> (after any last replies).</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await _reader.ReadLineAsync(cts.Token) is not null)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true; // reset by the server
        }
    }

    /// <summary>Sends <paramref name="line"/> plus CRLF and returns the full (multi-line) reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendRawAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    /// <summary>EHLO, MAIL, one RCPT per recipient and DATA; returns the reply to DATA (354 when all went well).</summary>
    public async Task<string> StartDataAsync(string from, params string[] to)
    {
        await CommandAsync("EHLO client.test");
        await CommandAsync($"MAIL FROM:<{from}>");
        foreach (var recipient in to)
        {
            await CommandAsync($"RCPT TO:<{recipient}>");
        }

        return await CommandAsync("DATA");
    }

    /// <summary>STARTTLS and the handshake (any server certificate is accepted); returns the reply to STARTTLS.</summary>
    public async Task<string> StartTlsAsync()
    {
        var reply = await CommandAsync("STARTTLS");
        if (!reply.StartsWith("220", StringComparison.Ordinal))
        {
            return reply;
        }

        var ssl = new System.Net.Security.SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync("localhost");
        (_stream, _reader) = (ssl, new StreamReader(ssl, Encoding.ASCII));
        return reply;
    }

    /// <summary>Sends <paramref name="text"/> as bytes 0-255 (Latin-1), so tests can send any octet.</summary>
    public async Task SendRawAsync(string text) => await _stream.WriteAsync(Encoding.Latin1.GetBytes(text));

    public async Task<string> ReadReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var reply = new StringBuilder();
        while (true)
        {
            var line = await _reader.ReadLineAsync(cts.Token) ?? throw new IOException("connection closed; reply so far: " + reply);
            reply.AppendLine(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return reply.ToString().TrimEnd();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
        _client.Dispose();
    }
}
