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
    private int _commandTimeout;
    private int _dataTerminationTimeout;

    /// <summary>A client with our EHLO name, time-outs and TLS 1.2+ settings; the caller decides on certificates.</summary>
    public static RecordingSmtpClient Create(DeliveryOptions options, System.Net.Security.RemoteCertificateValidationCallback validateCertificate) => new()
    {
        _commandTimeout = Milliseconds(options.CommandTimeout),
        _dataTerminationTimeout = Milliseconds(options.DataTerminationTimeout),
        LocalDomain = options.HeloName,
        Timeout = Milliseconds(options.CommandTimeout),
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

    /// <summary>
    /// RCPT replies by the exact stored address: a local part is case-sensitive in principle (RFC 5321 2.4), so
    /// <c>A@x</c> and <c>a@x</c> in one transaction keep a reply each.
    /// </summary>
    public Dictionary<string, SmtpResponse> RecipientReplies { get; } = new(StringComparer.Ordinal);

    private readonly Dictionary<MailboxAddress, string> _storedAddress = new(ReferenceEqualityComparer.Instance);

    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        RecipientReplies[StoredAddress(mailbox)] = response;

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        RecipientReplies[StoredAddress(mailbox)] = response;

    /// <summary>The queued address a mailbox was made from (MimeKit shows IDN domains as U-labels in <c>Address</c>).</summary>
    private string StoredAddress(MailboxAddress mailbox) => _storedAddress.GetValueOrDefault(mailbox) ?? mailbox.Address;

    /// <summary>
    /// The envelope as MimeKit mailboxes (<see cref="EnvelopeMailbox"/>). A recipient none can be made of fails alone
    /// (5.1.3); a sender none can be made of fails them all (5.1.7); a recipient that differs from an earlier one only
    /// in case waits for a later transaction (4.5.3). Null sender: the empty reverse-path.
    /// </summary>
    private (MailboxAddress? Sender, List<MailboxAddress> Recipients) Mailboxes(
        string envelopeFrom, IReadOnlyList<string> recipients, Dictionary<string, HostAttemptResult> results)
    {
        var sender = envelopeFrom.Length == 0 ? new MailboxAddress("", "") : EnvelopeMailbox.TryCreate(envelopeFrom, out var from) ? from : null;
        var mailboxes = new List<MailboxAddress>();
        var inTransaction = new HashSet<string>(StringComparer.OrdinalIgnoreCase); // as MailKit weeds out RCPTs
        foreach (var recipient in recipients)
        {
            if (sender is not null && EnvelopeMailbox.TryCreate(recipient, out var mailbox))
            {
                if (!inTransaction.Add(mailbox.Address))
                {
                    // MailKit would send one RCPT for both: this one goes in a transaction of its own, later, rather
                    // than be reported on the other's reply.
                    results[recipient] = HostAttemptResult.Transient(FailureReason.TemporaryReply, "another recipient of this transaction differs only in case; sent in a later transaction", "4.5.3");
                    continue;
                }

                mailboxes.Add(mailbox);
                _storedAddress[mailbox] = recipient;
                continue;
            }

            results[recipient] = sender is null
                ? HostAttemptResult.Permanent(FailureReason.BadAddress, "the envelope sender is not an RFC 5321 mailbox that mail can be written to", "5.1.7")
                : HostAttemptResult.Permanent(FailureReason.BadAddress, "the recipient address is not an RFC 5321 mailbox that mail can be written to", "5.1.3");
        }

        return (sender, mailboxes);
    }

    /// <summary>
    /// Runs one mail transaction (MAIL, RCPT for each recipient, DATA) and returns the result for each recipient.
    /// Protocol and connection errors become transient results; nothing here throws for an expected SMTP answer.
    /// </summary>
    public async Task<Dictionary<string, HostAttemptResult>> TransferAsync(
        MimeMessage message, string envelopeFrom, IReadOnlyList<string> recipients, string hostName, CancellationToken cancellationToken)
    {
        RecipientReplies.Clear();
        _storedAddress.Clear();
        var results = new Dictionary<string, HostAttemptResult>(StringComparer.Ordinal);
        var (sender, mailboxes) = Mailboxes(envelopeFrom, recipients, results);
        recipients = [.. mailboxes.Select(m => _storedAddress[m])];
        if (sender is null || mailboxes.Count == 0)
        {
            return results; // nothing can be sent; each recipient has its permanent result
        }

        var content = new ContentProgress(this);
        try
        {
            var reply = await SendAsync(FormatOptions.Default, message, sender, mailboxes, cancellationToken, content);
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
            // Before the whole message went out, nothing was delivered: the next host may have it at once. After it,
            // the receiver may have taken it (RFC 5321 6.1): sending it elsewhere now would deliver it twice, so it
            // waits for a later attempt, as a 4xx reply would.
            var result = content.Whole
                ? HostAttemptResult.Transient(FailureReason.NoReplyAfterData, $"no reply from {hostName} after the message was sent: {ex.Message}", "4.4.2")
                : HostAttemptResult.Transient(FailureReason.ConnectionFailed, $"connection to {hostName} lost: {ex.Message}", "4.4.2");
            foreach (var recipient in recipients)
            {
                results[recipient] = result;
            }
        }
        finally
        {
            if (IsConnected)
            {
                Timeout = _commandTimeout; // the session's next commands
            }
        }

        return results;
    }

    /// <summary>
    /// The size for SIZE and the progress count: a message sent as stored is its header fields (which were checked to
    /// be written back as stored) and its body, counted without writing the whole message once more.
    /// </summary>
    protected override async Task<long> GetSizeAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken)
    {
        if (message.Body is not StoredBody stored)
        {
            return await base.GetSizeAsync(options, message, cancellationToken);
        }

        using var measure = new MimeKit.IO.MeasuringStream();
        await message.WriteToAsync(options, measure, headersOnly: true, cancellationToken);
        return measure.Length + stored.Length;
    }

    private static int Milliseconds(TimeSpan timeout) => (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds);

    /// <summary>
    /// Tells when the whole message has been written: from then on the reply to the final dot is waited for up to
    /// <c>Delivery:DataTerminationTimeout</c> (RFC 5321 4.5.3.2.6), not the command time-out. MailKit counts the
    /// bytes after dot-stuffing against the unstuffed size, so a message with stuffed dots counts as whole a few
    /// bytes early: a connection lost in those bytes is retried later rather than at the next host, the safe side.
    /// </summary>
    private sealed class ContentProgress(RecordingSmtpClient client) : ITransferProgress
    {
        public bool Whole { get; private set; }

        public void Report(long bytesTransferred, long totalSize)
        {
            if (!Whole && bytesTransferred >= totalSize)
            {
                Whole = true;
                client.Timeout = client._dataTerminationTimeout;
            }
        }

        public void Report(long bytesTransferred)
        {
            // MailKit always gives the size when progress is asked for.
        }
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
