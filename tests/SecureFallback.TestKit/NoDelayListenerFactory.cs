using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace SecureFallback.TestKit;

/// <summary>
/// SmtpServer's listener with Nagle switched off. SmtpServer writes each reply on its own; with Nagle on, the second
/// of a pipelined batch waits for the client's delayed ACK (about 40 ms a message), so a test receiver would crawl.
/// </summary>
internal sealed class NoDelayListenerFactory : EndpointListenerFactory
{
    /// <summary>The session's connection in <c>ISessionContext.Properties</c>, so a test receiver can drop it.</summary>
    public const string PipeKey = "TestKit:Pipe";

    public override IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
    {
        var listener = new TcpListener(endpointDefinition.Endpoint);
        listener.Start();
        var args = new EndpointEventArgs(endpointDefinition, listener.LocalEndpoint);
        OnEndpointStarted(args);
        return new Listener(listener, () => OnEndpointStopped(args));
    }

    private sealed class Listener(TcpListener listener, Action onStopped) : IEndpointListener, IDisposable
    {
        public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
        {
            var client = await listener.AcceptTcpClientAsync(cancellationToken);
            client.NoDelay = true;
            context.Properties[EndpointListener.LocalEndPointKey] = listener.LocalEndpoint;
            context.Properties[EndpointListener.RemoteEndPointKey] = client.Client.RemoteEndPoint!;
            var pipe = new Pipe(client);
            context.Properties[PipeKey] = pipe;
            return pipe;
        }

        public void Dispose()
        {
            listener.Stop();
            onStopped();
        }
    }

    /// <summary>Plain TCP, then TLS after STARTTLS.</summary>
    private sealed class Pipe : ISecurableDuplexPipe
    {
        private readonly TcpClient _client;
        private Stream _stream;

        public Pipe(TcpClient client)
        {
            _client = client;
            _stream = client.GetStream();
            Attach();
        }

        public PipeReader Input { get; private set; } = null!;

        public PipeWriter Output { get; private set; } = null!;

        public bool IsSecure => _stream is SslStream;

        public SslProtocols SslProtocol => _stream is SslStream ssl ? ssl.SslProtocol : SslProtocols.None;

        public async Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default)
        {
            var ssl = new SslStream(_stream, leaveInnerStreamOpen: true);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, EnabledSslProtocols = protocols }, cancellationToken);
            _stream = ssl;
            Attach();
        }

        private void Attach()
        {
            Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
            Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
        }

        public void Dispose()
        {
            _stream.Dispose();
            _client.Dispose();
        }
    }
}
