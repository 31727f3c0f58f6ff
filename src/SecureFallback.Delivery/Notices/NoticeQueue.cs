using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Data.Content;
using SecureFallback.Delivery.Queue;

namespace SecureFallback.Delivery.Notices;

/// <summary>Shared steps of the notice outboxes: reading a held message's headers, queueing a generated message.</summary>
internal static class NoticeQueue
{
    /// <summary>Queues <paramref name="notice"/> (sealed like any message) from the null sender to <paramref name="recipient"/>.</summary>
    public static Guid Enqueue(SecureFallbackDbContext db, IContentProtector protector, NoticeSigner signer, MimeMessage notice, string recipient, MessageKind kind, DateTimeOffset now)
    {
        signer.Sign(notice);
        using var buffer = new MemoryStream();
        notice.WriteTo(FormatOptions.Default, buffer);
        var id = Guid.CreateVersion7(now);
        db.Messages.Add(new QueuedMessage
        {
            Id = id,
            EnvelopeFrom = "", // generated mail never bounces back to anyone (RFC 3464 2.2, RFC 5321 4.5.5)
            ReceivedAt = now,
            Size = buffer.Length,
            ClientAddress = "",
            Kind = kind,
            Recipients = [QueuedRecipient.Create(id, recipient, now)],
        });
        db.MessageContents.Add(protector.Seal(id, buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        return id;
    }

    /// <summary>The headers of a stored message, or none when its content is gone, unparsable or does not authenticate.</summary>
    public static async Task<HeaderList> ReadHeadersAsync(ISealedContentReader content, Guid messageId, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            // Only the chunks that hold the headers are read and decrypted (and verified), not the whole message.
            await using var stream = await content.OpenAsync(messageId, cancellationToken);
            return stream is null ? [] : await HeaderList.LoadAsync(stream, cancellationToken);
        }
        catch (ContentTamperedException ex)
        {
            DeliveryLog.ContentTampered(logger, messageId, ex);
            return [];
        }
        catch (FormatException)
        {
            return [];
        }
    }
}
