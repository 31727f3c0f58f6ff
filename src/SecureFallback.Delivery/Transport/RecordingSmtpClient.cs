using MailKit;
using MailKit.Net.Smtp;
using MimeKit;
using SecureFallback.Core.Delivery;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// MailKit client that records each RCPT reply instead of failing the whole transaction on the first refusal,
/// so a mixed message gets an outcome per recipient.
/// </summary>
internal sealed class RecordingSmtpClient : SmtpClient
{
    /// <summary>A client with our EHLO name, command time-out and TLS 1.2+ settings; the caller decides on certificates.</summary>
    public static RecordingSmtpClient Create(DeliveryOptions options, System.Net.Security.RemoteCertificateValidationCallback validateCertificate) => new()
    {
        LocalDomain = options.HeloName,
        Timeout = (int)Math.Min(int.MaxValue, options.CommandTimeout.TotalMilliseconds),
        SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
        CheckCertificateRevocation = false,
        ServerCertificateValidationCallback = validateCertificate,
    };

    /// <summary>Opens a TCP connection to one resolved address of a next hop within <c>Delivery:ConnectTimeout</c>.</summary>
    public static async Task<System.Net.Sockets.Socket> ConnectSocketAsync(Routing.NextHop hop, System.Net.IPAddress address, DeliveryOptions options, CancellationToken cancellationToken)
    {
        var socket = new System.Net.Sockets.Socket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(options.ConnectTimeout);
            await socket.ConnectAsync(new System.Net.IPEndPoint(address, hop.Port), connectTimeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Dictionary<string, SmtpResponse> RecipientReplies { get; } = new(StringComparer.OrdinalIgnoreCase);

    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        RecipientReplies[mailbox.Address] = response;

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        RecipientReplies[mailbox.Address] = response;

    /// <summary>
    /// Runs one mail transaction (MAIL, RCPT for each recipient, DATA) and returns the result for each recipient.
    /// Protocol and connection errors become transient results; nothing here throws for an expected SMTP answer.
    /// </summary>
    public async Task<Dictionary<string, HostAttemptResult>> TransferAsync(
        MimeMessage message, string envelopeFrom, IReadOnlyList<string> recipients, string hostName, CancellationToken cancellationToken)
    {
        RecipientReplies.Clear();
        var results = new Dictionary<string, HostAttemptResult>(StringComparer.OrdinalIgnoreCase);
        var sender = new MailboxAddress("", envelopeFrom);
        var mailboxes = recipients.Select(r => new MailboxAddress("", r)).ToList();
        try
        {
            var reply = await SendAsync(FormatOptions.Default, message, sender, mailboxes, cancellationToken);
            foreach (var recipient in recipients)
            {
                results[recipient] = RecipientResult(recipient, fallbackReply: $"250 {reply}");
            }
        }
        catch (SmtpCommandException ex)
        {
            // MAIL FROM or DATA refused, or no recipient accepted: a refused RCPT keeps its own reply,
            // every other recipient gets the reply that ended the transaction.
            var result = FromReply((int)ex.StatusCode, ex.Message);
            foreach (var recipient in recipients)
            {
                results[recipient] = RecipientReplies.TryGetValue(recipient, out var rcpt) && (int)rcpt.StatusCode >= 400
                    ? FromReply((int)rcpt.StatusCode, rcpt.Response)
                    : result;
            }
        }
        catch (Exception ex) when (ex is SmtpProtocolException or IOException or ServiceNotConnectedException or TimeoutException
                                   || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            foreach (var recipient in recipients)
            {
                results[recipient] = HostAttemptResult.Transient(FailureReason.ConnectionFailed, $"connection to {hostName} lost: {ex.Message}", "4.4.2");
            }
        }

        return results;
    }

    private HostAttemptResult RecipientResult(string recipient, string? fallbackReply)
    {
        if (RecipientReplies.TryGetValue(recipient, out var rcpt) && (int)rcpt.StatusCode >= 400)
        {
            return FromReply((int)rcpt.StatusCode, rcpt.Response);
        }

        return HostAttemptResult.Delivered(fallbackReply ?? "250 accepted");
    }

    private static HostAttemptResult FromReply(int code, string text)
    {
        var diagnostic = $"{code} {text}".Trim();
        var status = EnhancedStatus.From(code, text);
        return code >= 500
            ? HostAttemptResult.Permanent(FailureReason.PermanentReply, diagnostic, status)
            : HostAttemptResult.Transient(FailureReason.TemporaryReply, diagnostic, status);
    }
}
