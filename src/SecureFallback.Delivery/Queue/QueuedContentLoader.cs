using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using SecureFallback.Data;
using SecureFallback.Data.Content;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Queue;

/// <summary>What delivery needs of a queued message before its content: MAIL FROM, its kind and REQUIRETLS.</summary>
internal sealed record QueuedEnvelope(string EnvelopeFrom, MessageKind Kind, bool RequireTls)
{
    /// <summary>Stands in for a message whose row is gone; its content will be missing too.</summary>
    public static QueuedEnvelope Missing { get; } = new("", MessageKind.Submitted, false);
}

/// <summary>Loads queued messages for delivery: envelopes a chunk at a time, content one message at a time.</summary>
internal sealed class QueuedContentLoader(IServiceScopeFactory scopeFactory, ILogger<QueuedContentLoader> logger)
{
    public async Task<Dictionary<Guid, QueuedEnvelope>> LoadEnvelopesAsync(List<Guid> messageIds, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        // Only the envelope's columns, untracked: not the whole message row.
        var envelopes = await db.Messages.AsNoTracking().Where(m => messageIds.Contains(m.Id))
            .Select(m => new { m.Id, m.EnvelopeFrom, m.Kind, m.RequireTls })
            .ToListAsync(cancellationToken);
        return envelopes.ToDictionary(m => m.Id, m => new QueuedEnvelope(m.EnvelopeFrom, m.Kind, m.RequireTls));
    }

    /// <summary>
    /// Opens the sealed content of message <paramref name="id"/>: a small message is read whole and sent as stored
    /// (<see cref="StoredMessage"/>), a large one parsed streaming, so a chunk of large messages never sits in memory
    /// all at once. Content that is missing, tampered with or unparsable is a permanent failure.
    /// </summary>
    public async Task<LoadedMessage> LoadAsync(Guid id, QueuedEnvelope envelope, CancellationToken cancellationToken)
    {
        var (envelopeFrom, kind, requireTls) = envelope;
        await using var scope = scopeFactory.CreateAsyncScope();
        Stream? stream = null;
        try
        {
            stream = await scope.ServiceProvider.GetRequiredService<ISealedContentReader>().OpenAsync(id, cancellationToken);
            if (stream is null)
            {
                return new LoadedMessage(null, null, envelopeFrom, kind, HostAttemptResult.Permanent("content-missing", "the queued content is missing", "5.3.0"));
            }

            // Read to its end either way, so every chunk is verified before a byte goes out; sent as stored when
            // nothing in it could need rewriting.
            var message = await StoredMessage.LoadAsync(stream, cancellationToken);
            return new LoadedMessage(message, stream, envelopeFrom, kind, null) { RequireTls = requireTls };
        }
        catch (ContentTamperedException ex)
        {
            stream?.Dispose();
            DeliveryLog.ContentTampered(logger, id, ex);
            return new LoadedMessage(null, null, envelopeFrom, kind, HostAttemptResult.Permanent("content-tampered", "the queued content failed its integrity check and was not sent", "5.3.0"));
        }
        catch (FormatException ex)
        {
            stream?.Dispose();
            // MimeKit is lenient, so this is rare; a message that cannot be parsed must not block the queue.
            DeliveryLog.ContentUnreadable(logger, id, ex);
            return new LoadedMessage(null, null, envelopeFrom, kind, HostAttemptResult.Permanent("content-unparsable", "the message could not be parsed as MIME and was not sent", "5.6.0"));
        }
    }
}

/// <summary>A queued message ready to send, or why it cannot be (<see cref="Failure"/>); disposing closes its content.</summary>
internal sealed record LoadedMessage(MimeMessage? Message, Stream? Content, string EnvelopeFrom, MessageKind Kind, HostAttemptResult? Failure) : IDisposable
{
    public bool RequireTls { get; init; }

    /// <summary>What the loaded message asks of its delivery to <paramref name="domain"/>.</summary>
    public MessageTlsRequest TlsRequest(string domain) =>
        new(Kind, new MessageFacts(Message!.Subject, HeaderOf, EnvelopeFrom, domain), RequireTls, Message.Headers["TLS-Required"]);

    /// <summary>
    /// A header field for the policy rules, wherever the message keeps it: MimeKit's parser moves the <c>Content-*</c>
    /// fields to the body, a message sent as stored keeps them all in its header list; a rule sees them either way.
    /// </summary>
    private string? HeaderOf(string name) => Message!.Headers[name] ?? Message.Body?.Headers[name];

    public void Dispose()
    {
        Message?.Dispose();
        Content?.Dispose();
    }
}
