using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Delivery.Routing;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// One SMTP connection to a next hop that is known to be inside TLS. It can only be created by
/// <see cref="OpenAsync"/>, which uses mandatory STARTTLS; there is no way to obtain a clear-text session.
/// </summary>
internal sealed class SecureSmtpSession : IAsyncDisposable
{
    private readonly RecordingSmtpClient _client;

    private SecureSmtpSession(RecordingSmtpClient client, NextHop hop, IPAddress address, TlsSessionInfo tls, PeerCertificateCheck certificate, DateTimeOffset openedAt)
    {
        _client = client;
        Certificate = certificate;
        OpenedAt = openedAt;
        Hop = hop;
        Address = address;
        Tls = tls;
    }

    public NextHop Hop { get; }

    public IPAddress Address { get; }

    public TlsSessionInfo Tls { get; }

    /// <summary>What the handshake showed about the peer certificate; each message's level is checked against it.</summary>
    public PeerCertificateCheck Certificate { get; }

    public DateTimeOffset OpenedAt { get; }

    public bool IsUsable => _client.IsConnected && _client.IsSecure;

    /// <summary>The server offers REQUIRETLS (RFC 8689) in its EHLO reply after STARTTLS.</summary>
    public bool SupportsRequireTls => _client.Capabilities.HasFlag(SmtpCapabilities.RequireTLS);

    /// <summary>Connects to <paramref name="address"/>, sends EHLO and STARTTLS (mandatory) and completes the handshake.</summary>
    /// <returns>The session, or the classified reason there is none.</returns>
    public static async Task<(SecureSmtpSession? Session, HostAttemptResult? Failure)> OpenAsync(
        NextHop hop, IPAddress address, DeliveryOptions options, PeerCertificateCheck certificateCheck, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        Socket socket;
        try
        {
            socket = await RecordingSmtpClient.ConnectSocketAsync(hop, address, options, cancellationToken);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = ex is OperationCanceledException ? FailureReason.Timeout : FailureReason.ConnectionFailed;
            return (null, HostAttemptResult.Transient(reason, $"connect to {address}:{hop.Port} failed: {ex.Message}", "4.4.1"));
        }

        var client = RecordingSmtpClient.Create(options, certificateCheck.Validate);

        try
        {
            // The host name (not the IP) goes to SNI and to later name checks; the socket pins the resolved address.
            await client.ConnectAsync(socket, hop.HostName, hop.Port, SecureSocketOptions.StartTls, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var failure = ClassifyConnectFailure(ex, client);
            client.Dispose();
            socket.Dispose();
            return (null, failure);
        }

        if (!client.IsSecure)
        {
            // Defence in depth: StartTls must never leave us in clear text, but if it did, nothing is sent.
            client.Dispose();
            return (null, HostAttemptResult.TlsFailed(FailureReason.ValidationFailure, "session is not encrypted after STARTTLS", "4.7.0"));
        }

        var certificate = certificateCheck.PeerCertificate;
        var tls = new TlsSessionInfo(
            client.SslProtocol.ToString(),
            client.SslCipherSuite?.ToString(),
            certificate?.Subject,
            certificate is null ? null : Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)));
        return (new SecureSmtpSession(client, hop, address, tls, certificateCheck, timeProvider.GetUtcNow()), null);
    }

    /// <summary>Sends one message to the given recipients and returns the result for each of them.</summary>
    public Task<Dictionary<string, HostAttemptResult>> SendAsync(
        MimeMessage message, string envelopeFrom, IReadOnlyList<string> recipients, bool requireTls, CancellationToken cancellationToken)
    {
        _client.RequireTLS = requireTls; // MAIL FROM gets the REQUIRETLS parameter, so the next hop keeps the promise
        return _client.TransferAsync(message, envelopeFrom, recipients, Hop.HostName, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                using var quitTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _client.DisconnectAsync(true, quitTimeout.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or SmtpProtocolException or SmtpCommandException or OperationCanceledException)
        {
            // The message outcome is already decided; a failed QUIT changes nothing.
        }
        finally
        {
            _client.Dispose();
        }
    }

    private static HostAttemptResult ClassifyConnectFailure(Exception ex, SmtpClient client) => ex switch
    {
        // MailKit: StartTls and the server did not advertise STARTTLS.
        NotSupportedException => HostAttemptResult.TlsUnavailable(FailureReason.StartTlsNotSupported, "the server did not offer STARTTLS"),
        SslHandshakeException => HostAttemptResult.TlsFailed(FailureReason.ValidationFailure, $"TLS handshake failed: {Flatten(ex)}"),
        System.Security.Authentication.AuthenticationException => HostAttemptResult.TlsFailed(FailureReason.ValidationFailure, $"TLS handshake failed: {Flatten(ex)}"),
        // STARTTLS was advertised but the command itself was refused (e.g. 454 TLS not available).
        SmtpCommandException command when client.Capabilities.HasFlag(SmtpCapabilities.StartTLS) =>
            HostAttemptResult.TlsFailed(FailureReason.StartTlsNotSupported, $"STARTTLS refused: {(int)command.StatusCode} {command.Message}"),
        // Greeting or EHLO refused: like Postfix, treat as a reason to try the next host later.
        SmtpCommandException command => HostAttemptResult.Transient(FailureReason.TemporaryReply, $"{(int)command.StatusCode} {command.Message}", "4.4.2"),
        _ => HostAttemptResult.Transient(ex is TimeoutException or OperationCanceledException ? FailureReason.Timeout : FailureReason.ConnectionFailed, Flatten(ex), "4.4.2"),
    };

    private static string Flatten(Exception ex) =>
        ex.InnerException is null ? ex.Message : $"{ex.Message} ({ex.InnerException.Message})";
}
