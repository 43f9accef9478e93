using System.Net;
using System.Net.Sockets;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

public sealed class WorkerSuspicionTests
{
    private static readonly WorkerLoad Busy = new(1000, 4, 0, 100_000, 0, 0);

    [Fact]
    public async Task RunAsync_WorkerRefusesConnections_TriedOnceAcrossRequestsUntilItsNextHeartbeat()
    {
        await using var harness = Create();
        using var measured = new RouterMeasurements(harness);
        var healthy = await harness.AddWorkerAsync("d-healthy", WorkerRole.Decode, Busy); // the idle dead one is preferred
        var dead = new WorkerId("d-dead");
        var closed = $"http://127.0.0.1:{ClosedPort()}";
        Assert.Equal(RegistryOutcome.Accepted, await harness.Registry.RegisterAsync(
            new WorkerInfo(dead, WorkerRole.Decode, Model, closed, closed, 1000, 8), WorkerLoad.Idle(1000)));

        for (var i = 0; i < 5; i++)
        {
            var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 20, maxTokens: 3)));
            Assert.Equal(Expected(20, 3), tokens);
        }

        Assert.Equal(5, healthy.Decodes.Count);
        Assert.Equal(1, measured.Sum(CoordinatorInstruments.WorkersSuspected));
        Assert.Equal(["kind=decode_retry"], measured.Tags(CoordinatorInstruments.Recoveries)); // the dead one, once
        var pool = harness.Services.GetRequiredService<WorkerPool>();
        await pool.RefreshAsync(); // a refresh without a newer heartbeat keeps it out
        Assert.True(pool.IsSuspect(dead));

        Assert.Equal(RegistryOutcome.Accepted, await harness.Registry.HeartbeatAsync(dead, WorkerLoad.Idle(1000)));
        await pool.RefreshAsync();

        Assert.False(pool.IsSuspect(dead));
        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 20, maxTokens: 3)));
        Assert.Equal(2, measured.Sum(CoordinatorInstruments.WorkersSuspected)); // tried again, and refused again
    }

    [Fact]
    public async Task RunAsync_OnlyDecodeWorkerRefusesConnections_NextRequestIsNotSentThereAndSaysWhy()
    {
        await using var harness = Create(new() { ["Routing:NoWorkerWait"] = "00:00:00.200" });
        using var measured = new RouterMeasurements(harness);
        var closed = $"http://127.0.0.1:{ClosedPort()}";
        await harness.Registry.RegisterAsync(new WorkerInfo(new WorkerId("d-dead"), WorkerRole.Decode, Model, closed, closed, 1000, 8), WorkerLoad.Idle(1000));

        var first = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => harness.Coordinator.RunAsync(Request()).ToListAsync().AsTask());
        var second = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(() => harness.Coordinator.RunAsync(Request()).ToListAsync().AsTask());

        Assert.Equal(global::Grpc.Core.StatusCode.Unavailable, first.StatusCode);
        Assert.Equal(global::Grpc.Core.StatusCode.Unavailable, second.StatusCode);
        Assert.Contains("refused connections", second.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(["kind=decode_retry"], measured.Tags(CoordinatorInstruments.Recoveries)); // only the first request tried it
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
