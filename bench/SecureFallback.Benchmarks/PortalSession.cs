using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;

namespace SecureFallback.Benchmarks;

/// <summary>
/// <c>portal-session SMTP_PORT PORTAL_URL DUMP_DIR</c>: a signed-in recipient with one held 50 KB HTML message, for
/// bench/portal.sh. Sends the message over SMTP to the intake, for <c>reader@held.bench.test</c> (a domain routed to a
/// sink without STARTTLS, so it is held); waits for the pickup notice in the sink's dump directory; registers through
/// its link as a browser would (anti-forgery token, cookies kept); opens the message from the inbox once (its first
/// reading is then behind it). Prints one line: <c>cookie-header-value TAB absolute-message-url</c>.
/// </summary>
internal static partial class PortalSession
{
    private const string Recipient = "reader@held.bench.test";

    public static async Task<int> RunAsync(string[] args)
    {
        var (port, portal, dump) = (int.Parse(args[0], CultureInfo.InvariantCulture), new Uri(args[1]), args[2]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var existing = Directory.Exists(dump) ? Directory.GetFiles(dump, "*", SearchOption.AllDirectories).ToHashSet() : [];
        await SendAsync(port, BuildMessage(), deadline.Token);
        var token = await WaitForPickupTokenAsync(dump, existing, deadline.Token);

        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = true }) { BaseAddress = portal };
        var form = await http.GetStringAsync($"/pickup/{token}", deadline.Token);
        using var registered = await http.PostAsync($"/pickup/{token}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(AntiforgeryToken().Match(form).Groups[1].Value),
            ["password"] = "bench-password-0123456789",
            ["confirm"] = "bench-password-0123456789",
        }), deadline.Token);
        registered.EnsureSuccessStatusCode();
        var inbox = await http.GetStringAsync("/inbox", deadline.Token);
        var link = new Uri(portal, MessageLink().Match(inbox) is { Success: true } found ? found.Value : throw new InvalidOperationException("no message link in /inbox"));
        using var opened = await http.GetAsync(link, deadline.Token);
        opened.EnsureSuccessStatusCode();
        Console.WriteLine($"{cookies.GetCookieHeader(portal)}\t{link}");
        return 0;
    }

    /// <summary>A newsletter-like message: a 420-row HTML table of about 50 KB, with a text part.</summary>
    private static MimeMessage BuildMessage()
    {
        var (html, text) = Bench.Statement.Build();
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("statements@sender.bench.test"));
        message.To.Add(MailboxAddress.Parse(Recipient));
        message.Subject = "Your quarterly statement";
        message.Body = new BodyBuilder { HtmlBody = html, TextBody = text }.ToMessageBody();
        message.Prepare(EncodingConstraint.SevenBit); // lines of at most 998 octets, as SMTP wants
        return message;
    }

    private static async Task SendAsync(int port, MimeMessage message, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await message.WriteToAsync(FormatOptions.Default, buffer, cancellationToken);
        var lines = Encoding.ASCII.GetString(buffer.ToArray()).ReplaceLineEndings("\r\n").Split("\r\n");
        var data = string.Join("\r\n", lines.Select(l => l.StartsWith('.') ? "." + l : l)).TrimEnd('\r', '\n') + "\r\n.\r\n";

        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, cancellationToken);
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        async Task Say(string? line, string code)
        {
            if (line is not null)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(line), cancellationToken);
            }

            string reply;
            do
            {
                reply = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("connection closed");
            }
            while (reply.Length > 3 && reply[3] == '-');

            if (!reply.StartsWith(code, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"expected {code}, got {reply}");
            }
        }

        await Say(null, "220");
        await Say("EHLO session.bench.test\r\n", "250");
        await Say("MAIL FROM:<statements@sender.bench.test>\r\n", "250");
        await Say($"RCPT TO:<{Recipient}>\r\n", "250");
        await Say("DATA\r\n", "354");
        await Say(data, "250");
        await stream.WriteAsync("QUIT\r\n"u8.ToArray(), cancellationToken);
    }

    /// <summary>The token of the /pickup/ link in the text part of a new dumped notice (a file being written is tried again).</summary>
    private static async Task<string> WaitForPickupTokenAsync(string dump, HashSet<string> existing, CancellationToken cancellationToken)
    {
        while (true)
        {
            foreach (var file in Directory.Exists(dump) ? Directory.GetFiles(dump, "*", SearchOption.AllDirectories) : [])
            {
                if (existing.Contains(file))
                {
                    continue;
                }

                try
                {
                    using var notice = await MimeMessage.LoadAsync(file, cancellationToken);
                    if (PickupLink().Match(notice.TextBody ?? "") is { Success: true } link)
                    {
                        return link.Groups[1].Value;
                    }
                }
                catch (FormatException)
                {
                    // still being written
                }
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    [GeneratedRegex("/pickup/([A-Za-z0-9_-]+)")]
    private static partial Regex PickupLink();

    [GeneratedRegex("/messages/[0-9a-fA-F-]{36}")]
    private static partial Regex MessageLink();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
