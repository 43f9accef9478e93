using System.Net;
using System.Net.Sockets;

namespace Cluster.Cli.Up;

/// <summary>Free loopback TCP ports for child processes, whose bound port the parent must know before they start.</summary>
public static class FreePorts
{
    /// <summary><paramref name="port"/> itself when non-zero, else a port the OS had free a moment ago.</summary>
    public static int Resolve(int port)
    {
        if (port != 0)
        {
            return port;
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
