using System.Buffers;
using SecureFallback.Core.Messages;

namespace SecureFallback.Core.Intake;

/// <summary>A message handed over by an SMTP client, with its envelope, ready to be queued.</summary>
/// <param name="EnvelopeFrom">MAIL FROM address, empty for the null sender.</param>
/// <param name="Recipients">RCPT TO addresses, already checked for relay permission.</param>
/// <param name="Content">The message as received (CRLF line endings, dot-unstuffed); valid only until AcceptAsync returns.</param>
/// <param name="ClientAddress">IP address of the client.</param>
/// <param name="AuthenticatedUser">Relay user name, if the client authenticated.</param>
/// <param name="RequireTls">The client sent MAIL FROM with REQUIRETLS (RFC 8689).</param>
/// <param name="Kind">What produced it: <see cref="MessageKind.Submitted"/> from SMTP, or a portal reply.</param>
/// <param name="InReplyToMessageId">For a portal reply: the held message it answers.</param>
/// <param name="RepliedBy">For a portal reply: the account (address) that wrote it.</param>
public sealed record IncomingMessage(
    string EnvelopeFrom,
    IReadOnlyList<string> Recipients,
    ReadOnlySequence<byte> Content,
    string ClientAddress,
    string? AuthenticatedUser,
    bool RequireTls = false,
    MessageKind Kind = MessageKind.Submitted,
    Guid? InReplyToMessageId = null,
    string? RepliedBy = null);

/// <summary>Queues accepted messages durably.</summary>
public interface IMessageIntake
{
    /// <summary>
    /// Encrypts and commits the message and its recipients. Completes only once the commit is durable,
    /// so the caller may answer 250 afterwards.
    /// </summary>
    /// <returns>The queue id of the message.</returns>
    /// <exception cref="IntakeUnavailableException">The store could not take the message now; answer 4xx.</exception>
    Task<Guid> AcceptAsync(IncomingMessage message, CancellationToken cancellationToken);
}

/// <summary>The queue could not commit a message (disk full, database locked, shutting down).</summary>
public sealed class IntakeUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Wakes the delivery worker when new work was committed, so it does not wait for its next poll.</summary>
public interface IDeliverySignal
{
    void Notify();
}
