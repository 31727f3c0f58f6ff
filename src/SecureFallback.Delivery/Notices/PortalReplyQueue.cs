using System.Buffers;
using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data.Content;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// Queues a reply written on the portal (<see cref="IPortalReplies"/>): the held original is read from its sealed
/// content, the reply composed (<see cref="PortalReplyComposer"/>), DKIM-signed with the notices' key and handed to the
/// intake, which seals and commits it like any accepted message, as a <see cref="MessageKind.PortalReply"/>.
/// </summary>
internal sealed class PortalReplyQueue(
    ISealedContentReader content,
    IMessageIntake intake,
    NoticeSigner signer,
    NoticeLanguages languages,
    IOptions<NoticeOptions> notices,
    TimeProvider timeProvider) : IPortalReplies
{
    public async Task<Guid?> QueueAsync(PortalReplyDraft draft, CancellationToken cancellationToken)
    {
        await using var stream = await content.OpenAsync(draft.OriginalMessageId, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        var original = await MimeMessage.LoadAsync(ParserOptions.Default, stream, cancellationToken);
        // The reply speaks to the original sender: their domain's language names it "… via secure portal".
        var words = original.From.Mailboxes.FirstOrDefault() is { } sender ? languages.ForAddress(sender.Address).Words : null;
        var from = MailboxAddress.Parse(notices.Value.From);
        var reply = PortalReplyComposer.Compose(original, draft, from, timeProvider.GetUtcNow(), words);
        var recipients = reply.To.Mailboxes.Concat(reply.Cc.Mailboxes).Select(m => m.Address).ToList();
        if (recipients.Count == 0)
        {
            return null;
        }

        signer.Sign(reply);
        using var buffer = new MemoryStream();
        await reply.WriteToAsync(FormatOptions.Default, buffer, cancellationToken);
        var incoming = new IncomingMessage(
            // A person's message, so not from the null sender (RFC 5321 4.5.5 keeps <> for notifications): from the
            // notices' address, the From: domain, so SPF aligns for DMARC. A failure is shown on the portal and owes
            // no DSN (QueuedMessage.SenderGetsReports); a late bounce from the sender's side goes to that address.
            EnvelopeFrom: from.Address,
            Recipients: recipients,
            Content: new ReadOnlySequence<byte>(buffer.GetBuffer(), 0, (int)buffer.Length),
            ClientAddress: "",
            AuthenticatedUser: null,
            Kind: MessageKind.PortalReply,
            InReplyToMessageId: draft.OriginalMessageId,
            RepliedBy: draft.Author);
        return await intake.AcceptAsync(incoming, cancellationToken);
    }
}
