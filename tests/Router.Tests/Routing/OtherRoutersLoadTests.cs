using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Router.Routing;
using static Cluster.Router.Tests.Routing.Candidates;

namespace Cluster.Router.Tests.Routing;

/// <summary>
/// The router tier's view of other routers' admitted work (<see cref="RoutingCandidate.OtherRouters"/>) joins the load the
/// decode policies see: a worker another router loaded loses to an idle one before any heartbeat shows it.
/// </summary>
public sealed class OtherRoutersLoadTests
{
    private static readonly RoutingRequest Prompt = new(PromptTokens: 100, BlockSize: 16); // 7 blocks needed
    private static readonly RouterInFlight SixDecodes = new(0, 0, 6, 60);

    [Theory]
    [InlineData(RoutingPolicyNames.CacheAware)]
    [InlineData(RoutingPolicyNames.LeastLoaded)]
    public void DecodePolicy_AnotherRouterLoadedOneWorker_PicksTheGloballyLeastLoaded(string name)
    {
        var policy = RoutingPolicyFactory.CreateDecode(name, new Random(1));
        // Equal heartbeats (idle) and nothing of this router's own: only the other routers' admissions differ.
        var candidates = Of(
            Worker("loaded-elsewhere", WorkerRole.Decode, otherRouters: SixDecodes),
            Worker("idle", WorkerRole.Decode),
            Worker("some-here", WorkerRole.Decode, inFlight: new RouterInFlight(0, 0, 2, 20), otherRouters: new RouterInFlight(0, 0, 2, 20)));
        var tally = Tally(() => policy.Select(candidates, PrefixOverlap.None, Prompt), 50);
        Assert.Equal(new Dictionary<string, int> { ["idle"] = 50 }, tally);
    }

    [Fact]
    public void Candidate_OtherRoutersAndOwnWork_AddUp_AndTheHeartbeatStaysTheFloor()
    {
        var both = Worker("a", WorkerRole.Decode, running: 1, freeBlocks: 990, inFlight: new RouterInFlight(0, 0, 2, 20), otherRouters: new RouterInFlight(0, 0, 3, 30));
        Assert.Equal((5, 950), (both.Running, both.FreeKvBlocks)); // 2 + 3 decodes, 1000 − 20 − 30 blocks
        var heartbeatAhead = Worker("b", WorkerRole.Decode, running: 9, freeBlocks: 500, otherRouters: new RouterInFlight(0, 0, 3, 30));
        Assert.Equal((9, 500), (heartbeatAhead.Running, heartbeatAhead.FreeKvBlocks)); // the heartbeat already counts them
    }

    [Fact]
    public void Headroom_OtherRoutersFilledTheBatch_WorkerIsNotAChoiceBeforeItsHeartbeatShowsIt()
    {
        var policy = new CacheAwareDecodePolicy(new Random(1));
        var full = Worker("full", WorkerRole.Decode, maxBatch: 4, otherRouters: new RouterInFlight(0, 0, 4, 40));
        var choice = policy.Select(Of(full), PrefixOverlap.None, Prompt);
        Assert.Null(choice.Chosen);
        Assert.Contains("headroom", choice.Reason, StringComparison.Ordinal);
        Assert.Equal("free", policy.Select(Of(full, Worker("free", WorkerRole.Decode, maxBatch: 4)), PrefixOverlap.None, Prompt).Chosen!.Id.Value);
    }
}
