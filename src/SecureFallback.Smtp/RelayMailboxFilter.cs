using SecureFallback.Core.Messages;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace SecureFallback.Smtp;

/// <summary>
/// Enforces "no open relay" at RCPT: a recipient is accepted only from an allowed network or after our own AUTH.
/// Also caps recipients per message, and refuses a domain that no DNS lookup could take (a label over 63 octets).
/// </summary>
internal sealed class RelayMailboxFilter(RelayPolicy relayPolicy) : IMailboxFilter
{
    internal const int MaxRecipientsPerMessage = 100;

    public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        context.Properties[SessionKeys.RecipientCount] = 0;
        return Task.FromResult(true);
    }

    public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
    {
        if (context.AuthenticatedRelayUser() is null && !relayPolicy.IsAllowedNetwork(context.RemoteAddress()))
        {
            throw new SmtpResponseException(new SmtpResponse(
                SmtpReplyCode.MailboxUnavailable,
                "5.7.1 Relaying denied: authenticate over TLS or connect from an allowed network"));
        }

        if (to.Host.Length > 0 && !DomainName.IsValid(to.Host))
        {
            throw new SmtpResponseException(new SmtpResponse(
                SmtpReplyCode.SyntaxError,
                "5.1.3 Bad recipient address syntax: the domain is not a valid host name (labels of at most 63 octets, 253 in all)"));
        }

        var count = context.Properties.TryGetValue(SessionKeys.RecipientCount, out var value) && value is int n ? n : 0;
        if (count >= MaxRecipientsPerMessage)
        {
            throw new SmtpResponseException(new SmtpResponse(
                SmtpReplyCode.InsufficientStorage, // 452 (SmtpServer's ExceededStorage is 422)
                $"4.5.3 Too many recipients: at most {MaxRecipientsPerMessage} per message, send the rest in another transaction"));
        }

        context.Properties[SessionKeys.RecipientCount] = count + 1;
        return Task.FromResult(true);
    }
}
