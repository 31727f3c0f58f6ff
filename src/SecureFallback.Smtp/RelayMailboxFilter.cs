using SecureFallback.Core.Messages;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace SecureFallback.Smtp;

/// <summary>
/// Enforces "no open relay" at RCPT: a recipient is accepted only from an allowed network or after our own AUTH.
/// Also caps recipients per message, refuses a domain that no DNS lookup could take (a label over 63 octets), and a
/// mailbox that has no RFC 5321 form to store and write to (<see cref="MailboxSyntax"/>).
/// </summary>
internal sealed class RelayMailboxFilter(RelayPolicy relayPolicy) : IMailboxFilter
{
    internal const int MaxRecipientsPerMessage = 100;

    public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        context.Properties[SessionKeys.RecipientCount] = 0;
        if (from.AsAddress() is not null && (!MailboxSyntax.TryFormat(from.User, from.Host, out _) || IsULabel(from.Host)))
        {
            throw new SmtpResponseException(IsULabel(from.Host) ? ULabelRefused("sender") : Unwritable("sender"));
        }

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

        if (IsULabel(to.Host))
        {
            throw new SmtpResponseException(ULabelRefused("recipient"));
        }

        if (!MailboxSyntax.TryFormat(to.User, to.Host, out _))
        {
            throw new SmtpResponseException(Unwritable("recipient"));
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

    /// <summary>
    /// 553 5.1.3 for a local part with a control character: no quoted string can carry one (RFC 5321 4.1.2 allows
    /// octets 32-126), so no mail could be sent to it, nor a notice. SmtpServer's parser makes them out of quoted
    /// pairs such as <c>\n</c> (which RFC 5321 reads as a plain <c>n</c>).
    /// </summary>
    private static SmtpResponse ULabelRefused(string role) => new(
        SmtpReplyCode.MailboxNameNotAllowed,
        $"5.1.3 Bad {role} address syntax: write an internationalised domain in its A-label (xn--) form");

    /// <summary>
    /// A domain sent in UTF-8 (a U-label, with SMTPUTF8): SmtpServer decodes the domain as ASCII, so each non-ASCII
    /// octet arrives as '?', which the domain grammar cannot produce. The name is lost, so it is refused (553) rather
    /// than stored as another domain; the A-label form of the same domain is accepted. UTF-8 local parts are kept.
    /// </summary>
    private static bool IsULabel(string host) => host.Contains('?', StringComparison.Ordinal);

    private static SmtpResponse Unwritable(string role) => new(
        SmtpReplyCode.MailboxNameNotAllowed,
        $"5.1.3 Bad {role} address syntax: the local part holds a control character (write quoted pairs only for \\ and \")");
}
