using System.Net;
using System.Net.Sockets;

namespace Gateway.LocalServers;

/// <summary>Picks a loopback TCP port that is free right now.</summary>
public static class FreePort
{
    public static int Find()
    {
        // Port 0 lets the kernel choose; another process may still grab it before we bind, so callers retry.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
