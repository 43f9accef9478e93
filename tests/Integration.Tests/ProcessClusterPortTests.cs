using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Cluster.Cli.Up;
using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary>
/// A port picked for a role and taken by another process before the role binds it (other test runs and builds share
/// the machine): the role starts again on new ports instead of failing the whole cluster's start.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ProcessClusterPortTests
{
    [Fact]
    public async Task WorkerPortTakenBeforeItBinds_StartsAgainOnNewPorts_WithALine()
    {
        using var cts = Deadline.ForTest();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var handedOut = 0;
        var lines = new ConcurrentQueue<string>();

        // Ports are resolved router first (gRPC, HTTP), then prefill-1: its gRPC port is the third, and this test holds it.
        int Ports(int port) => port == 0 && Interlocked.Increment(ref handedOut) == 3 ? takenPort : FreePorts.Resolve(port);
        var logs = Directory.CreateTempSubdirectory("cluster-port-logs-").FullName;
        await using var cluster = await ProcessCluster.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 1), redisConnection: null, logs, Deadline.ClusterStart,
            cancellationToken: cts.Token, report: lines.Enqueue, ports: Ports);

        Assert.Contains(lines, l => l.StartsWith("prefill-1: a port picked for it was taken", StringComparison.Ordinal));
        var prefill = Assert.Single(cluster.Workers, w => w.Name == "prefill-1");
        Assert.NotEqual(takenPort, prefill.Grpc.Port);
        var log = await File.ReadAllTextAsync(Path.Combine(logs, "prefill-1.log"), cts.Token);
        var relaunch = log.IndexOf("--- cluster: starting again on new ports", StringComparison.Ordinal);
        Assert.True(relaunch > 0, log);
        Assert.True(ProcessCluster.StartupPortTaken(log[..relaunch]), "the first start's bind failure is in the log");
        Assert.False(ProcessCluster.StartupPortTaken(log), "the second start, on new ports, bound them");
        Assert.Equal(2, cluster.Workers.Count);
    }
}
