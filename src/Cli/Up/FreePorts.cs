using Cluster.Core.Net;

namespace Cluster.Cli.Up;

/// <summary>Free loopback TCP ports for child processes (see <see cref="LoopbackPorts"/> for how they are picked).</summary>
public static class FreePorts
{
    /// <summary><paramref name="port"/> itself when non-zero, else a port that was free a moment ago.</summary>
    public static int Resolve(int port) => LoopbackPorts.Resolve(port);
}
