using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;

namespace Cluster.Router.Tests.Coordination;

public sealed class DecodeReadinessTests
{
    [Fact]
    public async Task NotReadyReason_OneServedModelWithOnlyPrefillWorkers_NamesThatModel_UntilItGetsADecodeWorker()
    {
        await using var harness = Create();
        var pool = harness.Services.GetRequiredService<WorkerPool>();
        await pool.RefreshAsync(CancellationToken.None);
        Assert.Equal("no live worker is registered", DecodeReadiness.NotReadyReason(pool));

        await harness.Registry.RegisterAsync(new WorkerInfo(new WorkerId("d1"), WorkerRole.Decode, Model, "http://127.0.0.1:1", "http://127.0.0.1:1", 100, 4), WorkerLoad.Idle(100));
        await harness.Registry.RegisterAsync(new WorkerInfo(new WorkerId("p2"), WorkerRole.Prefill, new ModelId("other"), "http://127.0.0.1:2", "", 100, 4), WorkerLoad.Idle(100));
        await pool.RefreshAsync(CancellationToken.None);
        Assert.Equal("model 'other': no live decode or colocated worker is registered (only prefill workers)", DecodeReadiness.NotReadyReason(pool));

        await harness.Registry.RegisterAsync(new WorkerInfo(new WorkerId("c2"), WorkerRole.Colocated, new ModelId("other"), "http://127.0.0.1:3", "", 100, 4), WorkerLoad.Idle(100));
        await pool.RefreshAsync(CancellationToken.None);
        Assert.Null(DecodeReadiness.NotReadyReason(pool));
    }
}
