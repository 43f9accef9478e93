using Cluster.ClusterState;
using Cluster.Router.Routing;
using static Cluster.Router.Tests.Routing.Candidates;

namespace Cluster.Router.Tests.Routing;

public sealed class PrefillPolicyTests
{
    private static readonly RoutingRequest Prompt = new(PromptTokens: 1024, BlockSize: 16);

    [Fact]
    public void CacheAware_EqualLoad_PicksTheWorkerHoldingTheLongestPrefix()
    {
        var policy = new CacheAwarePrefillPolicy(new Random(1));
        var choice = policy.Select(Of(Worker("a"), Worker("b"), Worker("c")), Overlap(("a", 10), ("b", 40)), Prompt);
        Assert.Equal("b", choice.Chosen!.Id.Value);
    }

    [Fact]
    public void CacheAware_SkewedLoad_PrefixHolderWithLongQueueLoses()
    {
        // b holds 60 of 64 blocks (960 tokens) but has 5,000 tokens queued; a recomputes everything with an empty queue.
        var policy = new CacheAwarePrefillPolicy(new Random(1));
        var candidates = Of(Worker("a"), Worker("b", queuedPrefillTokens: 5000));
        Assert.Equal("a", policy.Select(candidates, Overlap(("b", 60)), Prompt).Chosen!.Id.Value);
        // With a short queue the cache wins again: the load term decides, not a cache-only rule.
        Assert.Equal("b", policy.Select(Of(Worker("a"), Worker("b", queuedPrefillTokens: 500)), Overlap(("b", 60)), Prompt).Chosen!.Id.Value);
    }

    [Fact]
    public void CacheAware_RouterInFlightTokens_CountAsQueueBetweenHeartbeats()
    {
        var policy = new CacheAwarePrefillPolicy(new Random(1));
        var busy = Worker("a", inFlight: new RouterInFlight(3, 3000, 0, 0));
        Assert.Equal("b", policy.Select(Of(busy, Worker("b")), PrefixOverlap.None, Prompt).Chosen!.Id.Value);
    }

    [Fact]
    public void CacheAware_MeasuredRate_FasterWorkerWinsAtEqualQueue()
    {
        var policy = new CacheAwarePrefillPolicy(new Random(1));
        var candidates = Of(Worker("slow", queuedPrefillTokens: 2000, prefillRate: 1000), Worker("fast", queuedPrefillTokens: 2000, prefillRate: 20_000));
        Assert.Equal("fast", policy.Select(candidates, PrefixOverlap.None, Prompt).Chosen!.Id.Value);
    }

    /// <summary>Seen in CI: a worker without a measured rate was assumed 4,000 tokens/s next to a holder measured at 150.</summary>
    [Fact]
    public void CacheAware_UnmeasuredWorker_AssumesItsPeersRate_SoThePrefixHolderWins()
    {
        var policy = new CacheAwarePrefillPolicy(new Random(1));
        var holder = Worker("holder", prefillRate: 150);
        var fresh = Worker("fresh");
        var shortSuffix = new RoutingRequest(PromptTokens: 16 * 16 + 21, BlockSize: 16);

        Assert.Equal("holder", policy.Select(Of(holder, fresh), Overlap(("holder", 16)), shortSuffix).Chosen!.Id.Value);
        Assert.Equal(150, CacheAwarePrefillPolicy.MeanMeasuredRate(Of(holder, fresh)));
        Assert.Null(CacheAwarePrefillPolicy.MeanMeasuredRate(Of(Worker("a"), Worker("b"))));
    }

    [Fact]
    public void CacheAware_EstimatedSeconds_FollowsTheDocumentedFormula()
    {
        var measured = Worker("a", queuedPrefillTokens: 500, prefillRate: 2000);
        var unmeasured = Worker("b", queuedPrefillTokens: 500);
        var overlap = Overlap(("a", 4), ("b", 4));
        Assert.Equal((1024 - 64 + 500) / 2000.0, CacheAwarePrefillPolicy.EstimatedSeconds(measured, overlap, Prompt), 12);
        Assert.Equal((1024 - 64 + 500) / CacheAwarePrefillPolicy.DefaultPrefillTokensPerSecond, CacheAwarePrefillPolicy.EstimatedSeconds(unmeasured, overlap, Prompt), 12);
    }

    [Fact]
    public void CacheAware_Ties_AreBrokenByTheInjectedRandomAcrossAllTiedWorkers()
    {
        var policy = new CacheAwarePrefillPolicy(new Random(7));
        var tally = Tally(() => policy.Select(Of(Worker("a"), Worker("b"), Worker("c")), PrefixOverlap.None, Prompt), 300);
        Assert.Equal(["a", "b", "c"], tally.Keys.Order());
        Assert.All(tally.Values, n => Assert.InRange(n, 60, 140));
    }

    [Fact]
    public void CacheAware_NoCandidates_NoCapacity()
    {
        var choice = new CacheAwarePrefillPolicy(new Random(1)).Select([], PrefixOverlap.None, Prompt);
        Assert.Null(choice.Chosen);
        Assert.Contains("no live prefill worker", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void LeastLoaded_IgnoresTheCache_PicksTheShortestQueue()
    {
        var policy = new LeastLoadedPrefillPolicy(new Random(1));
        var choice = policy.Select(Of(Worker("a", queuedPrefillTokens: 100), Worker("b", queuedPrefillTokens: 50)), Overlap(("a", 64)), Prompt);
        Assert.Equal("b", choice.Chosen!.Id.Value);
    }

    [Fact]
    public void RoundRobin_CyclesThroughEveryWorkerInOrder()
    {
        var policy = new RoundRobinPrefillPolicy();
        var candidates = Of(Worker("a"), Worker("b"), Worker("c"));
        var picks = Enumerable.Range(0, 6).Select(_ => policy.Select(candidates, PrefixOverlap.None, Prompt).Chosen!.Id.Value);
        Assert.Equal(["a", "b", "c", "a", "b", "c"], picks);
    }

    [Theory]
    [InlineData(RoutingPolicyNames.CacheAware, typeof(CacheAwarePrefillPolicy))]
    [InlineData(RoutingPolicyNames.LeastLoaded, typeof(LeastLoadedPrefillPolicy))]
    [InlineData(RoutingPolicyNames.RoundRobin, typeof(RoundRobinPrefillPolicy))]
    public void Factory_KnownName_CreatesThatPolicy(string name, Type type)
    {
        var policy = RoutingPolicyFactory.CreatePrefill(name, new Random(1));
        Assert.IsType(type, policy);
        Assert.Equal(name, policy.Name);
    }

    [Fact]
    public void Factory_UnknownName_ThrowsListingTheValidNames()
    {
        var e = Assert.Throws<ArgumentException>(() => RoutingPolicyFactory.CreatePrefill("fastest", new Random(1)));
        Assert.Contains("cache-aware, least-loaded, round-robin", e.Message, StringComparison.Ordinal);
    }
}
