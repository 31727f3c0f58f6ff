using System.Net;
using System.Security.Authentication;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Smtp.Net;
using SmtpServer;
using SmtpServer.Net;
using SmtpServerHost = SmtpServer.SmtpServer;

namespace SecureFallback.Smtp;

/// <summary>Runs the SMTP listener for the lifetime of the host.</summary>
internal sealed class SmtpIntakeService(
    IOptions<IntakeOptions> options,
    IOptions<DataDirectoryOptions> dataDirectory,
    QueueingMessageStore messageStore,
    RelayMailboxFilter mailboxFilter,
    RelayUserAuthenticator authenticator,
    IntakeReadiness readiness,
    TimeProvider timeProvider,
    ILogger<SmtpIntakeService> logger) : IHostedService, IDisposable
{
    private SmtpServerHost? _server;
    private Task? _running;
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var serverName = settings.ServerName ?? "localhost";
        var generatedPath = dataDirectory.Value.Resolve(Path.Combine("tls", "intake.pfx"));
        _certificate = IntakeCertificate.Load(settings, generatedPath, serverName, timeProvider, out var generated);
        if (generated)
        {
            IntakeLog.GeneratedCertificate(logger, generatedPath);
        }

        var serverOptions = new SmtpServerOptionsBuilder()
            .ServerName(serverName)
            .MaxMessageSize(settings.MaxMessageBytes, MaxMessageSizeHandling.Strict)
            .MaxAuthenticationAttempts(3)
            // Our session stream times commands out first, with a proper 421; SmtpServer's timer is the backstop.
            .CommandWaitTimeout(settings.CommandTimeout + TimeSpan.FromSeconds(30))
            .Endpoint(endpoint => endpoint
                .Endpoint(new IPEndPoint(settings.ParsedAddress, settings.Port))
                .Certificate(_certificate)
                .SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                .AllowUnsecureAuthentication(false)
                .AuthenticationRequired(false)
                .SessionTimeout(settings.SessionTimeout))
            .Build();

        var listenerFactory = new GuardedEndpointListenerFactory(
            new ConnectionLimiter(settings.MaxConnections, settings.MaxConnectionsPerAddress),
            new SessionLimits(SessionLimits.DefaultMaxCommandLineBytes, settings.CommandTimeout),
            timeProvider);
        var commandLimits = new CommandLimits(settings.MaxCommandsBeforeMail);
        var started = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        listenerFactory.EndpointStarted += (_, e) => started.TrySetResult(e.LocalEndPoint);

        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(messageStore);
        services.Add(mailboxFilter);
        services.Add(authenticator);
        services.Add(listenerFactory);
        services.Add((SmtpServer.Protocol.ISmtpCommandFactory)new IntakeCommandFactory());

        _server = new SmtpServerHost(serverOptions, services);
        _server.SessionCreated += (_, e) => commandLimits.Watch(e.Context);
        _server.SessionFaulted += (_, e) =>
        {
            // A client that hangs up, or that we cut off at a limit, ends its session with an IOException: routine.
            if (e.Exception is IOException io)
            {
                IntakeLog.SessionDropped(logger, e.Context.RemoteAddress().ToString(), io.Message);
            }
            else
            {
                IntakeLog.SessionFaulted(logger, e.Context.RemoteAddress().ToString(), e.Exception);
            }
        };
        _running = _server.StartAsync(CancellationToken.None);

        var first = await Task.WhenAny(started.Task, _running).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        if (first == _running)
        {
            await _running; // surfaces the bind error (e.g. address in use)
            throw new InvalidOperationException("The SMTP intake stopped right after starting.");
        }

        var localEndPoint = await started.Task;
        readiness.MarkListening(localEndPoint);
        IntakeLog.Listening(logger, localEndPoint.ToString() ?? "");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is null)
        {
            return;
        }

        _server.Shutdown();
        await _server.ShutdownTask.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public void Dispose() => _certificate?.Dispose();
}

/// <summary>Tells the health check whether the listener is up, and on which end point (port 0 picks one).</summary>
public sealed class IntakeReadiness
{
    private volatile EndPoint? _endPoint;

    public bool IsReady => _endPoint is not null;

    public IPEndPoint? EndPoint => _endPoint as IPEndPoint;

    internal void MarkListening(EndPoint endPoint) => _endPoint = endPoint;
}
