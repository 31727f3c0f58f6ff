using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using SmtpServerHost = SmtpServer.SmtpServer;

namespace SecureFallback.TestKit;

/// <summary>
/// A real SMTP receiver on loopback (SmtpServer) that offers STARTTLS with a certificate made in code.
/// Recipients can be set to answer 4xx or 5xx. Records every accepted message and whether it came over TLS.
/// </summary>
public sealed class TlsSmtpReceiver : IAsyncDisposable
{
    private readonly SmtpServerHost _server;
    private readonly Task _running;
    private readonly X509Certificate2 _certificate;

    private TlsSmtpReceiver(SmtpServerHost server, Task running, X509Certificate2 certificate, int port, MessageRecorder recorder)
    {
        _server = server;
        _running = running;
        _certificate = certificate;
        Port = port;
        Recorder = recorder;
    }

    public int Port { get; }

    public string Route => $"127.0.0.1:{Port}";

    internal MessageRecorder Recorder { get; }

    public IReadOnlyCollection<ReceivedMessage> Messages => Recorder.Messages;

    /// <summary>SMTP sessions (connections) opened to this receiver so far.</summary>
    public int Sessions => Volatile.Read(ref Recorder.SessionCount);

    /// <summary>Recipients answered <c>550 5.1.1</c> (matched exactly: a local part is case-sensitive in principle).</summary>
    public ISet<string> RejectPermanently => Recorder.RejectPermanently;

    /// <summary>Recipients answered <c>450 4.2.1</c>.</summary>
    public ISet<string> RejectTemporarily => Recorder.RejectTemporarily;

    /// <summary>
    /// How long the reply to the final dot is held back after the message is recorded, as a slow receiver (a
    /// tarpit, a filter scanning a large message) keeps the sender waiting.
    /// </summary>
    public TimeSpan ReplyDelay
    {
        get => Recorder.ReplyDelay;
        set => Recorder.ReplyDelay = value;
    }

    /// <summary>Records the message, then drops the connection without answering the final dot.</summary>
    public bool DropAfterData
    {
        get => Recorder.DropAfterData;
        set => Recorder.DropAfterData = value;
    }

    /// <summary>Starts a receiver; <paramref name="port"/> 0 picks a free port.</summary>
    /// <param name="hostName">Name in the greeting and the generated certificate.</param>
    /// <param name="port">0 picks a free port.</param>
    /// <param name="certificate">The STARTTLS certificate; default self-signed for <paramref name="hostName"/>.</param>
    /// <param name="offerRequireTls">Advertise REQUIRETLS (RFC 8689) after STARTTLS.</param>
    /// <param name="address">The loopback address to listen on; default 127.0.0.1 (two receivers on one port need two).</param>
    public static async Task<TlsSmtpReceiver> StartAsync(
        string hostName = "mx.tls.test", int port = 0, X509Certificate2? certificate = null, bool offerRequireTls = false, IPAddress? address = null)
    {
        certificate ??= TestCertificates.SelfSigned(hostName);
        var recorder = new MessageRecorder();
        var options = new SmtpServerOptionsBuilder()
            .ServerName(hostName)
            .Endpoint(e => e
                .Endpoint(new IPEndPoint(address ?? IPAddress.Loopback, port))
                .Certificate(certificate)
                .SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13))
            .Build();
        var listeners = new NoDelayListenerFactory();
        var started = new TaskCompletionSource<EndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        listeners.EndpointStarted += (_, e) => started.TrySetResult(e.LocalEndPoint);
        var services = new ServiceProvider();
        services.Add((IMessageStore)recorder);
        services.Add((IMailboxFilter)recorder);
        services.Add(listeners);
        if (offerRequireTls)
        {
            services.Add((ISmtpCommandFactory)new RequireTlsCommandFactory());
        }
        var server = new SmtpServerHost(options, services);
        server.SessionCreated += (_, _) => Interlocked.Increment(ref recorder.SessionCount);
        var running = server.StartAsync(CancellationToken.None);
        var endPoint = (IPEndPoint)await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return new TlsSmtpReceiver(server, running, certificate, endPoint.Port, recorder);
    }

    /// <summary>Waits until at least <paramref name="count"/> messages arrived.</summary>
    public async Task<IReadOnlyCollection<ReceivedMessage>> WaitForMessagesAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (Recorder.Messages.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Expected {count} messages at the receiver on port {Port}, got {Recorder.Messages.Count}.");
            }

            await Task.Delay(50);
        }

        return Recorder.Messages;
    }

    public async ValueTask DisposeAsync()
    {
        _server.Shutdown();
        await _running.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _certificate.Dispose();
    }

    private sealed class RequireTlsEhlo(string domainOrAddress) : EhloCommand(domainOrAddress)
    {
        protected override IEnumerable<string> GetExtensions(ISessionContext context) =>
            context.Pipe.IsSecure ? [.. base.GetExtensions(context), "REQUIRETLS"] : base.GetExtensions(context);
    }

    private sealed class RequireTlsCommandFactory : SmtpCommandFactory
    {
        public override SmtpCommand CreateEhlo(string domainOrAddress) => new RequireTlsEhlo(domainOrAddress);
    }

    internal sealed class MessageRecorder : MessageStore, IMailboxFilter
    {
        public int SessionCount;

        public ConcurrentQueue<ReceivedMessage> Queue { get; } = new();

        public IReadOnlyCollection<ReceivedMessage> Messages => Queue.ToArray();

        public ISet<string> RejectPermanently { get; } = new HashSet<string>(StringComparer.Ordinal);

        public ISet<string> RejectTemporarily { get; } = new HashSet<string>(StringComparer.Ordinal);

        public TimeSpan ReplyDelay { get; set; }

        public bool DropAfterData { get; set; }

        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            Queue.Enqueue(new ReceivedMessage(
                transaction.From.AsAddress() ?? "",
                transaction.To.Select(t => t.AsAddress()).ToList(),
                buffer.ToArray(),
                context.Pipe.IsSecure,
                transaction.Parameters.ContainsKey("REQUIRETLS")));
            if (DropAfterData && context.Properties.TryGetValue(NoDelayListenerFactory.PipeKey, out var pipe))
            {
                ((IDisposable)pipe).Dispose(); // the connection closes with the final dot unanswered
            }

            if (ReplyDelay > TimeSpan.Zero)
            {
                await Task.Delay(ReplyDelay, cancellationToken);
            }

            return SmtpResponse.Ok;
        }

        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) => Task.FromResult(true);

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            var address = to.AsAddress();
            if (RejectPermanently.Contains(address))
            {
                throw new SmtpResponseException(new SmtpResponse(SmtpReplyCode.MailboxUnavailable, "5.1.1 No such user"));
            }

            if (RejectTemporarily.Contains(address))
            {
                throw new SmtpResponseException(new SmtpResponse((SmtpReplyCode)450, "4.2.1 Try again later"));
            }

            return Task.FromResult(true);
        }
    }
}
