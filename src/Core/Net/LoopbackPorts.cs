using System.Net;
using System.Net.Sockets;

namespace Cluster.Core.Net;

/// <summary>
/// Free loopback TCP ports for child processes (cluster hosts, redis-server), whose port the parent must know before they start. A port the
/// OS assigns for port 0 comes from the ephemeral range, which outgoing connections also draw from: between our probe
/// and the child's bind, any connection on the machine could take it ("address already in use"). So ports are picked
/// at random BELOW the ephemeral range (only explicit binders use those), checked by binding, and never handed out twice
/// by this process; the OS's port-0 choice is the fallback.
/// </summary>
public static class LoopbackPorts
{
    private const int Lowest = 20000;
    private static readonly HashSet<int> Issued = [];

    /// <summary><paramref name="port"/> itself when non-zero, else a loopback port that was free a moment ago.</summary>
    public static int Resolve(int port)
    {
        if (port != 0)
        {
            return port;
        }

        var highest = EphemeralRangeStart() - 1;
        for (var attempt = 0; attempt < 64 && highest > Lowest; attempt++)
        {
            var candidate = Random.Shared.Next(Lowest, highest + 1);
            lock (Issued)
            {
                if (!Issued.Contains(candidate) && CanBind(candidate) && Issued.Add(candidate))
                {
                    return candidate;
                }
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of Linux's ephemeral range (net.ipv4.ip_local_port_range), 32768 where it cannot be read.</summary>
    private static int EphemeralRangeStart()
    {
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.TryParse(text[0], out var start) && start > Lowest ? start : 32768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }
}
