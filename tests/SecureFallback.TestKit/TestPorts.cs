namespace SecureFallback.TestKit;

/// <summary>Loopback ports for tests.</summary>
public static class TestPorts
{
    /// <summary>A port that was free a moment ago: nothing listens there (a "down" next hop), or a server may take it.</summary>
    public static int Free()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
