using SmtpServer;
using SmtpServer.Protocol;

namespace SecureFallback.Smtp;

/// <summary>
/// Closes a session that keeps talking without sending mail (NOOP/RSET/VRFY loops, EHLO floods): at most
/// <see cref="IntakeOptions.MaxCommandsBeforeMail"/> commands before each MAIL, as Postfix's junk command limit.
/// Also refuses a MAIL whose parameters repeat (see <see cref="CommandLineRewriter"/>), and a MAIL with REQUIRETLS
/// in clear, before any content crosses the unencrypted hop.
/// </summary>
internal sealed class CommandLimits(int maxCommandsBeforeMail)
{
    private const string CountKey = "SecureFallback.CommandsBeforeMail";

    /// <summary>555: a MAIL parameter this session did not offer (REQUIRETLS is offered only inside TLS, RFC 8689 4.1).</summary>
    internal static readonly SmtpResponse RequireTlsInClear = new(
        (SmtpReplyCode)555,
        "5.7.10 REQUIRETLS needs a TLS session with this server (STARTTLS first)");

    public void Watch(ISessionContext context) => context.CommandExecuting += OnCommandExecuting;

    private void OnCommandExecuting(object? sender, SmtpCommandEventArgs e)
    {
        switch (e.Command)
        {
            case MailCommand mail:
                e.Context.Properties[CountKey] = 0;
                if (mail.Parameters.Keys.FirstOrDefault(k => k.StartsWith(CommandLineRewriter.DuplicatePrefix, StringComparison.Ordinal)) is { } duplicate)
                {
                    throw new SmtpResponseException(new SmtpResponse(
                        SmtpReplyCode.SyntaxError,
                        $"5.5.4 MAIL parameter {duplicate.Split('-', 3)[2]} given more than once"));
                }

                if (mail.Parameters.Keys.Any(k => k.StartsWith(CommandLineRewriter.MalformedPrefix, StringComparison.Ordinal)))
                {
                    throw new SmtpResponseException(new SmtpResponse(
                        SmtpReplyCode.SyntaxError,
                        "5.5.4 Malformed MAIL parameter: names are letters, digits and hyphens, values printable ASCII without '=' (RFC 5321 4.1.2)"));
                }

                if (mail.Parameters.ContainsKey("REQUIRETLS") && !e.Context.Pipe.IsSecure)
                {
                    throw new SmtpResponseException(RequireTlsInClear);
                }

                return;
            case RcptCommand or DataCommand or QuitCommand:
                return;
        }

        var count = (e.Context.Properties.TryGetValue(CountKey, out var value) && value is int n ? n : 0) + 1;
        e.Context.Properties[CountKey] = count;
        if (count > maxCommandsBeforeMail)
        {
            throw new SmtpResponseException(
                new SmtpResponse(
                    SmtpReplyCode.ServiceUnavailable, // 421: closing (221 would claim all is well)
                    $"4.7.0 Too many commands without a message (limit {maxCommandsBeforeMail}), closing connection"),
                quit: true);
        }
    }
}
