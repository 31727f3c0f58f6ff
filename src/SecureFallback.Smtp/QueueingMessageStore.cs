using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Telemetry;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace SecureFallback.Smtp;

/// <summary>
/// SmtpServer's message store: checks the DATA, hands it to the durable queue, and answers 250 only after the
/// queue reports the commit. Any failure to store becomes <c>451 4.3.0</c>, so the client keeps the message and retries;
/// only a refusal of this message (size, syntax, REQUIRETLS in clear) is a 5xx.
/// </summary>
internal sealed class QueueingMessageStore(
    IMessageIntake intake,
    IOptions<IntakeOptions> options,
    SecureFallbackMetrics metrics,
    TimeProvider timeProvider,
    ILogger<QueueingMessageStore> logger) : IMessageStore
{
    private static readonly ReadOnlyMemory<byte> LineEnd = "\r\n"u8.ToArray();

    /// <summary>451 4.3.0: any failure that is not a refusal of this message (RFC 3463 4.3.0, mail system status).</summary>
    internal static readonly SmtpResponse StoreFailed = new(SmtpReplyCode.Aborted, "4.3.0 Temporary failure storing the message, try again later");

    public async Task<SmtpResponse> SaveAsync(
        ISessionContext context,
        IMessageTransaction transaction,
        ReadOnlySequence<byte> buffer,
        CancellationToken cancellationToken)
    {
        var client = context.RemoteAddress().ToString();
        if (buffer.Length > options.Value.MaxMessageBytes)
        {
            IntakeLog.Oversize(logger, client, buffer.Length, options.Value.MaxMessageBytes);
            return new SmtpResponse(SmtpReplyCode.SizeLimitExceeded, "5.3.4 Message too big for this system");
        }

        if (buffer.Length == 0 || (buffer.Length == 2 && buffer.FirstSpan[0] == '\r'))
        {
            return new SmtpResponse(SmtpReplyCode.TransactionFailed, "5.6.0 Message refused: it has no content (no headers, no body)");
        }

        var lines = DataLines.Scan(buffer);
        if (lines.HasBareLineEnding)
        {
            IntakeLog.BareLineEnding(logger, client);
            return new SmtpResponse(
                SmtpReplyCode.TransactionFailed,
                "5.5.2 Message refused: bare CR or LF in message data; every line must end with CRLF");
        }

        if (lines.LongestLine > options.Value.MaxDataLineBytes)
        {
            IntakeLog.LineTooLong(logger, client, options.Value.MaxDataLineBytes);
            return new SmtpResponse(
                SmtpReplyCode.TransactionFailed,
                $"5.6.0 Message refused: a line is longer than {options.Value.MaxDataLineBytes} octets; encode long lines (quoted-printable or base64)");
        }

        var requireTls = transaction.Parameters.ContainsKey("REQUIRETLS");
        if (requireTls && !context.Pipe.IsSecure)
        {
            // Refused at MAIL already (CommandLimits); kept so no path can queue it.
            return CommandLimits.RequireTlsInClear;
        }

        var recipients = transaction.To.Select(StoredForm).ToList();
        var content = AsReceived(context, buffer, options.Value.ServerName ?? "localhost", timeProvider.GetUtcNow());
        var incoming = new IncomingMessage(
            transaction.From.AsAddress() is null ? "" : StoredForm(transaction.From),
            recipients,
            content,
            client,
            context.AuthenticatedRelayUser(),
            requireTls);

        using var activity = SecureFallbackMetrics.Activities.StartActivity("smtp intake");
        activity?.SetTag("securefallback.recipients", recipients.Count);
        activity?.SetTag("securefallback.size", content.Length);
        try
        {
            var id = await intake.AcceptAsync(incoming, cancellationToken);
            activity?.SetTag("securefallback.message_id", id.ToString("N"));
            IntakeLog.Queued(logger, id, client, recipients.Count, content.Length);
            metrics.Accepted();
            return new SmtpResponse(SmtpReplyCode.Ok, $"2.0.0 Ok: queued as {id:N}");
        }
        catch (Exception ex)
        {
            // Not a refusal of this message: the queue refused (IntakeUnavailableException), the database restarted or
            // failed over, sealing faulted (the key ring asking the database), the session was cancelled or timed out
            // while the commit was in flight. SmtpServer would answer anything but a reply with 554, a permanent
            // bounce of mail we could take a minute later; 451 keeps the message with the client, which retries.
            IntakeLog.QueueUnavailable(logger, client, ex);
            return StoreFailed;
        }
    }

    /// <summary>
    /// The mailbox in its RFC 5321 form (<see cref="MailboxSyntax"/>): SmtpServer hands the local part unquoted, and
    /// its own <c>AsAddress</c> would store <c>"john smith"@x.test</c> as <c>john smith@x.test</c>, which no one can
    /// write to. <see cref="RelayMailboxFilter"/> refused every mailbox that has no RFC 5321 form.
    /// </summary>
    private static string StoredForm(IMailbox mailbox) =>
        MailboxSyntax.TryFormat(mailbox.User, mailbox.Host, out var address)
            ? address
            : throw new InvalidOperationException("A mailbox without an RFC 5321 form passed the mailbox filter.");

    /// <summary>
    /// The message as the client sent it, with a trace header (RFC 5321 4.4) before it so hops and loops can be
    /// followed, without copying it. SmtpServer hands over the data without the CRLF before the ending dot, which
    /// belongs to the last line (RFC 5321 4.1.1.4); it is put back, because MimeKit cannot parse a header section
    /// that ends in an unterminated line without a colon (a message of body lines only, as a script may send).
    /// </summary>
    private static ReadOnlySequence<byte> AsReceived(ISessionContext context, in ReadOnlySequence<byte> buffer, string serverName, DateTimeOffset receivedAt)
    {
        var protocol = context.Pipe.IsSecure
            ? (context.AuthenticatedRelayUser() is null ? "ESMTPS" : "ESMTPSA")
            : "ESMTP";
        var header = string.Create(
            CultureInfo.InvariantCulture,
            $"Received: from [{context.RemoteAddress()}]\r\n\tby {serverName} (SecureFallback) with {protocol};\r\n\t{receivedAt:ddd, dd MMM yyyy HH:mm:ss} +0000\r\n");
        return SequenceChain.Surround(Encoding.ASCII.GetBytes(header), buffer, LineEnd);
    }
}
