using MailKit.Net.Smtp;
using MimeKit;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// MailKit client that records each RCPT reply instead of failing the whole transaction on the first refusal,
/// so a mixed message gets an outcome per recipient.
/// </summary>
internal sealed class RecordingSmtpClient : SmtpClient
{
    public Dictionary<string, SmtpResponse> RecipientReplies { get; } = new(StringComparer.OrdinalIgnoreCase);

    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        RecipientReplies[mailbox.Address] = response;

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        RecipientReplies[mailbox.Address] = response;
}
