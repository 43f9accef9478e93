using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Router.Api;
using Cluster.Router.Coordination;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Api;

/// <summary>The router's <c>/workers</c> listing (cluster top's discovery; ARCHITECTURE §9 "cluster top").</summary>
public sealed class WorkersEndpointTests
{
    [Fact]
    public async Task List_PoolWorkers_ByIdWithRoleModelStateAndBothAddresses_ASuspectOneMarked()
    {
        await using var harness = Create();
        var registry = harness.Registry;
        Assert.Equal(RegistryOutcome.Accepted, await registry.RegisterAsync(
            new WorkerInfo(new WorkerId("d1"), WorkerRole.Decode, Model, "http://10.0.0.2:50051", "http://10.0.0.2:50051", 100, 8, "http://10.0.0.2:8081"), WorkerLoad.Idle(100)));
        Assert.Equal(RegistryOutcome.Accepted, await registry.RegisterAsync(
            new WorkerInfo(new WorkerId("p1"), WorkerRole.Prefill, Model, "http://10.0.0.1:50051", "", 100, 8), WorkerLoad.Idle(100)));
        var pool = harness.Services.GetRequiredService<WorkerPool>();
        await pool.RefreshAsync();
        Assert.True(pool.Suspect(pool.Workers.Single(w => w.Info.Id.Value == "d1")));

        var list = WorkersEndpoint.List(pool);

        Assert.Equal(
            [
                new WorkersEndpoint.Entry("d1", "decode", Model.Value, "suspect", "http://10.0.0.2:50051", "http://10.0.0.2:8081"),
                new WorkersEndpoint.Entry("p1", "prefill", Model.Value, "live", "http://10.0.0.1:50051", ""), // announced no HTTP address
            ],
            list);
    }
}
