using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpServer.IO;

namespace SecureFallback.Smtp.Net;

/// <summary>The duplex pipe of one SMTP session: plain TCP at first, TLS after STARTTLS.</summary>
internal sealed class SmtpSessionPipe : ISecurableDuplexPipe
{
    private readonly TcpClient _client;
    private readonly SessionLimits _limits;
    private readonly TimeProvider _timeProvider;
    private Action? _onClosed;
    private Stream _transport;

    public SmtpSessionPipe(TcpClient client, SessionLimits limits, TimeProvider timeProvider, Action onClosed)
    {
        _client = client;
        _limits = limits;
        _timeProvider = timeProvider;
        _onClosed = onClosed;
        _transport = client.GetStream();
        Attach(_transport);
    }

    public PipeReader Input { get; private set; } = null!;

    public PipeWriter Output { get; private set; } = null!;

    public bool IsSecure => _transport is SslStream;

    public SslProtocols SslProtocol => _transport is SslStream ssl ? ssl.SslProtocol : SslProtocols.None;

    public async Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default)
    {
        var ssl = new SslStream(_transport, leaveInnerStreamOpen: true);
        await ssl.AuthenticateAsServerAsync(
            new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                EnabledSslProtocols = protocols,
                ClientCertificateRequired = false,
                AllowRenegotiation = false,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                CipherSuitesPolicy = StrongCiphers.Policy,
            },
            cancellationToken);
        _transport = ssl;
        Attach(ssl);
    }

    private void Attach(Stream transport)
    {
        var guarded = new SessionGuardStream(transport, _limits, _timeProvider);
        Input = PipeReader.Create(guarded, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(guarded, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public void Dispose()
    {
        _transport.Dispose();
        _client.Dispose();
        Interlocked.Exchange(ref _onClosed, null)?.Invoke();
    }
}
