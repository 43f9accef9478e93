using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Cluster.Router.Routing;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;

namespace Cluster.Router.Tests.Coordination;

/// <summary>The worker pool puts other routers' admitted work (<see cref="IOtherRoutersLoad"/>) on each candidate, so a run avoids a worker they loaded.</summary>
public sealed class OtherRoutersRoutingTests
{
    [Fact]
    public async Task RunAsync_AnotherRouterLoadedOneDecodeWorker_TheRunGoesToTheOther()
    {
        var others = new FakeOtherRouters();
        await using var harness = Create(configure: s => s.AddSingleton<IOtherRoutersLoad>(others));
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var loaded = await harness.AddWorkerAsync("d1", WorkerRole.Decode); // both idle by their heartbeats
        var idle = await harness.AddWorkerAsync("d2", WorkerRole.Decode);
        others.Load[new WorkerId("d1")] = new RouterInFlight(0, 0, 6, 60);

        for (var i = 0; i < 8; i++)
        {
            var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 30, maxTokens: 2)));
            Assert.Equal(Expected(30, 2), tokens);
        }

        Assert.Empty(loaded.Reserves);
        Assert.Equal(8, idle.Reserves.Count);
        var candidate = harness.Services.GetRequiredService<WorkerPool>().Candidates(Model, _ => true, new HashSet<WorkerId>()).Single(c => c.Id.Value == "d1");
        Assert.Equal(6, candidate.OtherRouters.Decodes);
    }

    private sealed class FakeOtherRouters : IOtherRoutersLoad
    {
        public Dictionary<WorkerId, RouterInFlight> Load { get; } = [];

        public RouterInFlight Get(WorkerId worker) => Load.GetValueOrDefault(worker);
    }
}
