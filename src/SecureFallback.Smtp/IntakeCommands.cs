using SmtpServer;
using SmtpServer.Protocol;

namespace SecureFallback.Smtp;

/// <summary>Our EHLO: a plain greeting, and REQUIRETLS (RFC 8689) offered once the session is inside TLS.</summary>
internal sealed class IntakeEhloCommand(string domainOrAddress) : EhloCommand(domainOrAddress)
{
    protected override string GetGreeting(ISessionContext context) => $"{context.ServerOptions.ServerName} Hello {DomainOrAddress}";

    protected override IEnumerable<string> GetExtensions(ISessionContext context) =>
        context.Pipe.IsSecure ? [.. base.GetExtensions(context), "REQUIRETLS"] : base.GetExtensions(context);
}

/// <summary>SmtpServer's commands, with our EHLO.</summary>
internal sealed class IntakeCommandFactory : SmtpCommandFactory
{
    public override SmtpCommand CreateEhlo(string domainOrAddress) => new IntakeEhloCommand(domainOrAddress);
}
