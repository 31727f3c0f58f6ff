using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>One reply sent from a held message, as its author sees it in the thread.</summary>
/// <param name="PostedAt">When it was posted.</param>
/// <param name="To">Its recipients.</param>
/// <param name="State"><c>queued</c>, <c>delivered</c> or <c>failed</c>.</param>
/// <param name="Detail">Why it is still waiting or why it failed (<c>Refused</c>, <c>NotSent</c>, <c>NoSecureConnection</c>, <c>Unreachable</c>;
/// the page puts it in words); null when delivered or not yet tried.</param>
public sealed record ReplySummary(DateTimeOffset PostedAt, string To, string State, string? Detail);

/// <summary>What became of a reply the recipient posted.</summary>
public enum ReplyResult
{
    Queued,
    Empty,
    TooLarge,
    TooMany,
    NoSender,
}

/// <summary>
/// Replies written on the portal: who may send them (<c>Portal:Replies</c>), how large (<c>Portal:ReplyMaxBytes</c>),
/// how often (<see cref="ReplyRateLimiter"/>), and the thread of a held message. Only ever for a live grant of the
/// signed-in recipient's own, which the page has checked; the text is never logged.
/// </summary>
public sealed class PortalReplies(SecureFallbackDbContext db, IPortalReplies replies, IOptions<PortalOptions> options, ReplyRateLimiter limiter)
{
    public PortalReplyMode Mode => options.Value.ParsedReplies ?? PortalReplyMode.Off;

    public long MaxBytes => options.Value.ReplyMaxBytes;

    /// <summary>The replies <paramref name="address"/> sent from <paramref name="messageId"/>, oldest first.</summary>
    public async Task<List<ReplySummary>> ThreadAsync(string address, Guid messageId, CancellationToken cancellationToken)
    {
        var sent = await ThreadOf.For(db)(db, messageId, address).ToListAsync(cancellationToken);
        return sent.OrderBy(m => m.ReceivedAt).Select(m => Summary(m)).ToList();
    }

    // Compiled: every view of a message asks (issue 18).
    private static readonly PerModel<Func<SecureFallbackDbContext, Guid, string, IAsyncEnumerable<QueuedMessage>>> ThreadOf = new(() =>
        EF.CompileAsyncQuery((SecureFallbackDbContext db, Guid messageId, string address) =>
            db.Messages.AsNoTracking().Include(m => m.Recipients)
                .Where(m => m.InReplyToMessageId == messageId && m.Kind == MessageKind.PortalReply && m.RepliedBy == address)));

    /// <summary>Queues a reply of <paramref name="address"/> to the message of <paramref name="grant"/>.</summary>
    public async Task<ReplyResult> SendAsync(string address, PickupGrant grant, string? text, IFormFileCollection files, CancellationToken cancellationToken)
    {
        text ??= "";
        if (text.Trim().Length == 0 && files.Count == 0)
        {
            return ReplyResult.Empty;
        }

        if (System.Text.Encoding.UTF8.GetByteCount(text) + files.Sum(f => f.Length) > MaxBytes)
        {
            return ReplyResult.TooLarge;
        }

        using var lease = limiter.Acquire(address);
        if (!lease.IsAcquired)
        {
            return ReplyResult.TooMany;
        }

        var attachments = new List<ReplyAttachment>();
        foreach (var file in files)
        {
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, cancellationToken);
            attachments.Add(new ReplyAttachment(file.FileName, file.ContentType, buffer.ToArray()));
        }

        var id = await replies.QueueAsync(new PortalReplyDraft(grant.MessageId, address, Mode, text, attachments), cancellationToken);
        return id is null ? ReplyResult.NoSender : ReplyResult.Queued;
    }

    private static ReplySummary Summary(QueuedMessage reply)
    {
        var to = string.Join(", ", reply.Recipients.Select(r => r.Address));
        var recipients = reply.Recipients;
        if (recipients.All(r => r.Status == RecipientStatus.Delivered))
        {
            return new ReplySummary(reply.ReceivedAt, to, "delivered", null);
        }

        if (recipients.Any(r => r.Status == RecipientStatus.Failed))
        {
            var refused = recipients.Any(r => r.Status == RecipientStatus.Failed && r.LastOutcome == DeliveryOutcome.Permanent);
            return new ReplySummary(reply.ReceivedAt, to, "failed", refused ? "Refused" : "NotSent");
        }

        var waitingForTls = recipients.Any(r => r.LastOutcome is { } outcome && outcome.IsTlsFailure());
        var detail = waitingForTls
            ? "NoSecureConnection"
            : recipients.Any(r => r.AttemptCount > 0) ? "Unreachable" : null;
        return new ReplySummary(reply.ReceivedAt, to, "queued", detail);
    }
}
