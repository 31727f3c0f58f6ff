using System.Net;
using System.Net.Sockets;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace SecureFallback.Smtp.Net;

/// <summary>
/// Our own listener for SmtpServer, so every session runs over a <see cref="SmtpSessionPipe"/> (with the
/// <see cref="SessionGuardStream"/> limits) and connection-level policy has one place to live.
/// </summary>
internal sealed class GuardedEndpointListenerFactory(ConnectionLimiter connections, SessionLimits limits, TimeProvider timeProvider) : EndpointListenerFactory
{
    public override IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
    {
        var listener = new TcpListener(endpointDefinition.Endpoint);
        listener.Start();
        var args = new EndpointEventArgs(endpointDefinition, listener.LocalEndpoint);
        OnEndpointStarted(args);
        return new GuardedEndpointListener(listener, connections, limits, timeProvider, () => OnEndpointStopped(args));
    }
}

internal sealed class GuardedEndpointListener(
    TcpListener listener,
    ConnectionLimiter connections,
    SessionLimits limits,
    TimeProvider timeProvider,
    Action onStopped) : IEndpointListener, IDisposable
{
    public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
    {
        while (true)
        {
            var client = await listener.AcceptTcpClientAsync(cancellationToken);
            client.NoDelay = true;
            var remote = (IPEndPoint)client.Client.RemoteEndPoint!;
            var refusal = connections.TryEnter(remote.Address);
            if (refusal is not null)
            {
                // Answer without a session: the client sees a clear 421 and tries later (RFC 5321 3.8).
                _ = RefuseAsync(client, refusal);
                continue;
            }

            context.Properties[EndpointListener.LocalEndPointKey] = listener.LocalEndpoint;
            context.Properties[EndpointListener.RemoteEndPointKey] = remote;
            return new SmtpSessionPipe(client, limits, timeProvider, () => connections.Leave(remote.Address));
        }
    }

    private static async Task RefuseAsync(TcpClient client, string reply)
    {
        using (client)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(reply + "\r\n"), timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // Gone already; nothing to tell.
            }
        }
    }

    public void Dispose()
    {
        listener.Stop();
        onStopped();
    }
}
