using System.Net.Sockets;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace SecureFallback.Smtp.Net;

/// <summary>
/// Our own listener for SmtpServer, so every session runs over a <see cref="SmtpSessionPipe"/> (which repairs
/// SmtpServer's silence on an empty DATA) and so connection-level policy has one place to live.
/// </summary>
internal sealed class GuardedEndpointListenerFactory : EndpointListenerFactory
{
    public override IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
    {
        var listener = new TcpListener(endpointDefinition.Endpoint);
        listener.Start();
        var args = new EndpointEventArgs(endpointDefinition, listener.LocalEndpoint);
        OnEndpointStarted(args);
        return new GuardedEndpointListener(listener, () => OnEndpointStopped(args));
    }
}

internal sealed class GuardedEndpointListener(TcpListener listener, Action onStopped) : IEndpointListener, IDisposable
{
    public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
    {
        var client = await listener.AcceptTcpClientAsync(cancellationToken);
        client.NoDelay = true;
        context.Properties[EndpointListener.LocalEndPointKey] = listener.LocalEndpoint;
        context.Properties[EndpointListener.RemoteEndPointKey] = client.Client.RemoteEndPoint!;
        return new SmtpSessionPipe(client);
    }

    public void Dispose()
    {
        listener.Stop();
        onStopped();
    }
}
