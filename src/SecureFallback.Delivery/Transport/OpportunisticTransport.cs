using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using MailKit.Security;
using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Delivery.Routing;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// The one place where mail may leave without TLS: notices, which carry no message content (only who sent something
/// and where to pick it up, or an account code), and mail for domains an admin put in the <c>deliver-plain</c> test
/// mode. TLS is used when offered; when the peer offers none or the handshake fails, the mail goes in clear
/// (RFC 7435 opportunistic security). <see cref="Queue.DomainDelivery"/> calls it for nothing else.
/// </summary>
internal static class OpportunisticTransport
{
    public static async Task<(Dictionary<string, HostAttemptResult> Results, TlsSessionInfo? Tls)> SendAsync(
        NextHop hop, IPAddress address, MimeMessage message, string envelopeFrom, IReadOnlyList<string> recipients, DeliveryOptions options, CancellationToken cancellationToken)
    {
        HostAttemptResult? failure = null;
        foreach (var mode in new[] { SecureSocketOptions.StartTlsWhenAvailable, SecureSocketOptions.None })
        {
            // Opportunistic: any certificate beats clear text.
            using var client = RecordingSmtpClient.Create(options, (_, certificate, _, _) => certificate is not null);
            Socket? socket = null;
            try
            {
                socket = await RecordingSmtpClient.ConnectSocketAsync(hop, address, options, cancellationToken);
                await client.ConnectAsync(socket, hop.HostName, hop.Port, mode, cancellationToken);
            }
            catch (SslHandshakeException ex) when (mode == SecureSocketOptions.StartTlsWhenAvailable)
            {
                socket?.Dispose();
                failure = HostAttemptResult.TlsFailed(FailureReason.ValidationFailure, ex.Message, "4.7.0");
                continue;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                socket?.Dispose();
                failure = HostAttemptResult.Transient(FailureReason.ConnectionFailed, $"opportunistic delivery to {address}:{hop.Port}: {ex.Message}", "4.4.1");
                break;
            }

            var tls = client.IsSecure ? new TlsSessionInfo(client.SslProtocol.ToString(), client.SslCipherSuite?.ToString(), null, null) : null;
            var results = await client.TransferAsync(message, envelopeFrom, recipients, hop.HostName, cancellationToken);
            await client.DisconnectAsync(true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
            socket.Dispose();
            return (results, tls);
        }

        return (recipients.ToDictionary(r => r, _ => failure!, StringComparer.Ordinal), null);
    }
}
