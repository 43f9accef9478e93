using Cluster.ClusterState;
using Cluster.Contracts.V1;
using Cluster.Router.Orleans.Grains;
using Cluster.Router.Routing;
using Cluster.Router.Tier;
using Cluster.Core.Ids;
using static Cluster.Router.Tests.Routing.Candidates;

namespace Cluster.Router.Tests.Routing;

/// <summary>
/// Queued prefill work by priority: the worker's engine runs normal (online) requests before low-priority (batch) ones,
/// so an online request's wait counts only the normal queue, while a batch request waits behind all of it.
/// </summary>
public sealed class PriorityQueueTests
{
    private static readonly RoutingRequest Online = new(PromptTokens: 1024, BlockSize: 16);
    private static readonly RoutingRequest Batch = Online with { Priority = RequestPriority.Low };

    [Fact]
    public void CacheAware_PrefixHolderBusyWithABatch_OnlineRequestStillGoesThere_BatchRequestAvoidsIt()
    {
        // b holds 60 of 64 blocks and has 5,000 tokens queued, all of an offline batch; a holds nothing and is idle.
        var policy = new CacheAwarePrefillPolicy(new Random(1));
        var candidates = Of(Worker("a"), Worker("b", queuedPrefillTokens: 5000, queuedLowPriorityPrefillTokens: 5000));
        Assert.Equal("b", policy.Select(candidates, Overlap(("b", 60)), Online).Chosen!.Id.Value);   // 64 tokens ahead of nothing
        Assert.Equal("a", policy.Select(candidates, Overlap(("b", 60)), Batch).Chosen!.Id.Value);    // 5,064 > 1,024

        // The same queue of online work (or from a worker that reports no low part) is ahead of the online request too.
        var online = Of(Worker("a"), Worker("b", queuedPrefillTokens: 5000, queuedLowPriorityPrefillTokens: 0));
        Assert.Equal("a", policy.Select(online, Overlap(("b", 60)), Online).Chosen!.Id.Value);
    }

    [Fact]
    public void CacheAware_EstimatedSeconds_CountsTheNormalQueueForOnline_AndEverythingForBatch()
    {
        var worker = Worker("w", queuedPrefillTokens: 3000, queuedLowPriorityPrefillTokens: 2000, prefillRate: 1000);
        Assert.Equal((1024 + 1000) / 1000.0, CacheAwarePrefillPolicy.EstimatedSeconds(worker, PrefixOverlap.None, Online), 9);
        Assert.Equal((1024 + 3000) / 1000.0, CacheAwarePrefillPolicy.EstimatedSeconds(worker, PrefixOverlap.None, Batch), 9);
    }

    [Fact]
    public void LeastLoaded_BatchQueueIsNotAheadOfOnline()
    {
        var policy = new LeastLoadedPrefillPolicy(new Random(1));
        var candidates = Of(
            Worker("batch-busy", queuedPrefillTokens: 5000, queuedLowPriorityPrefillTokens: 5000),
            Worker("online-busy", queuedPrefillTokens: 1000));
        Assert.Equal("batch-busy", policy.Select(candidates, PrefixOverlap.None, Online).Chosen!.Id.Value);
        Assert.Equal("online-busy", policy.Select(candidates, PrefixOverlap.None, Batch).Chosen!.Id.Value);
    }

    [Fact]
    public void CacheAware_RoutersInFlightBatchPrefills_AreNotAheadOfOnline()
    {
        // No heartbeat shows them yet: this router's own batch prefills on b, and another router's on c.
        var policy = new CacheAwarePrefillPolicy(new Random(1));
        var ownBatch = new RouterInFlight(3, 3000, 0, 0, LowPriorityPrefillTokens: 3000);
        var candidates = Of(Worker("a"), Worker("b", inFlight: ownBatch), Worker("c", otherRouters: ownBatch));
        Assert.Equal("b", policy.Select(candidates, Overlap(("b", 60)), Online).Chosen!.Id.Value);
        Assert.Equal("c", policy.Select(candidates, Overlap(("c", 60)), Online).Chosen!.Id.Value);
        Assert.Equal("a", policy.Select(candidates, Overlap(("b", 60)), Batch).Chosen!.Id.Value);
        Assert.Equal("a", policy.Select(candidates, Overlap(("c", 60)), Batch).Chosen!.Id.Value);
    }

    [Fact]
    public void Candidate_NormalQueue_MaxOfHeartbeatLessFinishedAndTheRoutersNormalTokens()
    {
        // Heartbeat: 3,000 queued, 2,000 of them low. Since then this router finished 600 tokens, 400 of them low.
        var candidate = Worker("w", queuedPrefillTokens: 3000, queuedLowPriorityPrefillTokens: 2000) with
        {
            PrefillTokensFinishedSinceHeartbeat = 600,
            LowPriorityPrefillTokensFinishedSinceHeartbeat = 400,
        };
        Assert.Equal((2400, 800), (candidate.QueuedPrefillTokens, candidate.QueuedNormalPriorityPrefillTokens));
        Assert.Equal(800, candidate.QueuedPrefillTokensAhead(RequestPriority.Normal));
        Assert.Equal(2400, candidate.QueuedPrefillTokensAhead(RequestPriority.Low));

        // The routers' in-flight normal tokens win when larger than the heartbeat's (not their low ones).
        var routers = candidate with
        {
            InFlight = new RouterInFlight(2, 1500, 0, 0, LowPriorityPrefillTokens: 500),
            OtherRouters = new RouterInFlight(1, 2000, 0, 0, LowPriorityPrefillTokens: 2000),
        };
        Assert.Equal((3500, 1000), (routers.QueuedPrefillTokens, routers.QueuedNormalPriorityPrefillTokens));
    }

    [Fact]
    public void TierLoadView_CarriesTheOtherRoutersLowPriorityTokens()
    {
        var view = new TierLoadView();
        var worker = new WorkerId("p1");
        view.Set(worker, new WorkerLoadShare(1, 8, 3, 1200, LowPriorityPrefillTokens: 900));
        Assert.Equal(new RouterInFlight(3, 1200, 1, 8, LowPriorityPrefillTokens: 900), view.Get(worker));
        Assert.Equal(300, view.Get(worker).NormalPriorityPrefillTokens);
    }
}
