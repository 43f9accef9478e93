using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Router.Routing;
using static Cluster.Router.Tests.Routing.Candidates;

namespace Cluster.Router.Tests.Routing;

/// <summary>
/// The router tier's view of other routers' work (<see cref="RoutingCandidate.OtherRouters"/>) joins the load the
/// policies see: a worker another router loaded (decodes admitted, prefills in flight) loses to an idle one before any
/// heartbeat shows it.
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

    [Fact]
    public void Candidate_PrefillTokens_OwnAndOtherRoutersAdd_AndTheHeartbeatStaysTheFloor()
    {
        var both = Worker("a", queuedPrefillTokens: 100, inFlight: new RouterInFlight(1, 300, 0, 0), otherRouters: new RouterInFlight(2, 600, 0, 0));
        Assert.Equal((900, 3), (both.QueuedPrefillTokens, both.RoutersPrefills)); // 300 own + 600 reported by the others
        var heartbeatAhead = Worker("b", queuedPrefillTokens: 2000, otherRouters: new RouterInFlight(2, 600, 0, 0));
        Assert.Equal(2000, heartbeatAhead.QueuedPrefillTokens); // the heartbeat already counts them
    }

    [Theory]
    [InlineData(RoutingPolicyNames.CacheAware)]
    [InlineData(RoutingPolicyNames.LeastLoaded)]
    public void PrefillPolicy_OtherRoutersQueuedOnTheFasterWorker_PicksTheOther(string name)
    {
        var policy = RoutingPolicyFactory.CreatePrefill(name, new Random(1));
        var prompt = new RoutingRequest(PromptTokens: 64, BlockSize: 16);
        // "fast" measures twice the rate of "slow" and neither heartbeat shows a queue; this router sent nothing, but the
        // other routers have 2,000 tokens in flight on "fast": 2,064 / 2,000 s > 64 / 1,000 s.
        var candidates = Of(
            Worker("fast", prefillRate: 2000, otherRouters: new RouterInFlight(8, 2000, 0, 0)),
            Worker("slow", prefillRate: 1000));
        Assert.Equal(new Dictionary<string, int> { ["slow"] = 20 }, Tally(() => policy.Select(candidates, PrefixOverlap.None, prompt), 20));

        // Without the other routers' reports (a router alone, or before the tier's first refresh) "fast" wins.
        var blind = Of(Worker("fast", prefillRate: 2000), Worker("slow", prefillRate: 1000));
        if (name == RoutingPolicyNames.CacheAware)
        {
            Assert.Equal("fast", policy.Select(blind, PrefixOverlap.None, prompt).Chosen!.Id.Value);
        }
    }
}
