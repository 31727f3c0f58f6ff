namespace SecureFallback.TestKit;

/// <summary>Loopback ports for tests.</summary>
public static class TestPorts
{
    // Below Linux's ephemeral range (32768-60999), from which every "port 0" listener and every outgoing connection
    // takes its port: a port handed out here cannot be taken by them between Free() and its use.
    private const int First = 20000;
    private const int Count = 12000;
    private static int _next = First + (Environment.ProcessId * 97 % Count);

    /// <summary>A port that was free a moment ago: nothing listens there (a "down" next hop), or a server may take it.</summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (Interlocked.Increment(ref _next) % Count);
            try
            {
                var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // taken: try the next
            }
        }

        throw new InvalidOperationException("no free loopback port below the ephemeral range");
    }
}
