using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Router.Routing;
using static Cluster.Router.Tests.Routing.Candidates;

namespace Cluster.Router.Tests.Routing;

public sealed class DecodePolicyTests
{
    private static readonly RoutingRequest Prompt = new(PromptTokens: 100, BlockSize: 16); // 7 blocks needed

    [Fact]
    public void Headroom_BlocksNeeded_CoverPromptAndFirstToken()
    {
        Assert.Equal(7, Prompt.BlocksNeeded);
        Assert.Equal(2, new RoutingRequest(16, 16).BlocksNeeded);
    }

    [Fact]
    public void CacheAware_PrefersMoreFreeBlocksAndBatchSlots()
    {
        var policy = new CacheAwareDecodePolicy(new Random(1));
        var candidates = Of(
            Worker("full-batch", WorkerRole.Decode, running: 12, maxBatch: 16),
            Worker("few-blocks", WorkerRole.Decode, freeBlocks: 100),
            Worker("roomy", WorkerRole.Decode, running: 2, freeBlocks: 900));
        Assert.Equal("roomy", policy.Select(candidates, PrefixOverlap.None, Prompt).Chosen!.Id.Value);
    }

    [Fact]
    public void CacheAware_WorkersWithoutHeadroom_AreNeverChosen()
    {
        var policy = new CacheAwareDecodePolicy(new Random(1));
        var noSlot = Worker("no-slot", WorkerRole.Decode, running: 16, maxBatch: 16);
        var noBlocks = Worker("no-blocks", WorkerRole.Decode, freeBlocks: 6);
        var choice = policy.Select(Of(noSlot, noBlocks), PrefixOverlap.None, Prompt);
        Assert.Null(choice.Chosen);
        Assert.Contains("headroom for 7 KV blocks", choice.Reason, StringComparison.Ordinal);
        Assert.Equal("ok", policy.Select(Of(noSlot, noBlocks, Worker("ok", WorkerRole.Decode, freeBlocks: 7)), PrefixOverlap.None, Prompt).Chosen!.Id.Value);
    }

    [Fact]
    public void CacheAware_RouterInFlight_ReducesHeadroomBeforeTheNextHeartbeat()
    {
        var policy = new CacheAwareDecodePolicy(new Random(1));
        var reserved = Worker("a", WorkerRole.Decode, maxBatch: 2, inFlight: new RouterInFlight(0, 0, 2, 20));
        Assert.Null(policy.Select(Of(reserved), PrefixOverlap.None, Prompt).Chosen);
        Assert.Equal("b", policy.Select(Of(reserved, Worker("b", WorkerRole.Decode, maxBatch: 2)), PrefixOverlap.None, Prompt).Chosen!.Id.Value);
    }

    [Fact]
    public void CacheAware_LocalPrefill_PrefersTheWorkerHoldingThePrefix()
    {
        var policy = new CacheAwareDecodePolicy(new Random(1));
        var local = Prompt with { LocalPrefill = true };
        var candidates = Of(Worker("a", WorkerRole.Decode), Worker("b", WorkerRole.Decode));
        Assert.Equal("b", policy.Select(candidates, Overlap(("b", 6)), local).Chosen!.Id.Value);
        // Without local prefill the cache does not matter: a tie, both get picked.
        var tally = Tally(() => policy.Select(candidates, Overlap(("b", 6)), Prompt), 100);
        Assert.Equal(2, tally.Count);
    }

    [Fact]
    public void CacheAware_LocalPrefill_SkewSpreads_LoadedPrefixHolderLoses()
    {
        var policy = new CacheAwareDecodePolicy(new Random(1));
        var local = Prompt with { LocalPrefill = true };
        var candidates = Of(Worker("a", WorkerRole.Decode), Worker("b", WorkerRole.Decode, running: 15, freeBlocks: 100));
        Assert.Equal("a", policy.Select(candidates, Overlap(("b", 6)), local).Chosen!.Id.Value);
    }

    [Fact]
    public void LeastLoaded_PicksFewestRunningThenMostFreeBlocks()
    {
        var policy = new LeastLoadedDecodePolicy(new Random(1));
        Assert.Equal("b", policy.Select(Of(Worker("a", WorkerRole.Decode, running: 3), Worker("b", WorkerRole.Decode, running: 1)), PrefixOverlap.None, Prompt).Chosen!.Id.Value);
        Assert.Equal("b", policy.Select(Of(Worker("a", WorkerRole.Decode, freeBlocks: 50), Worker("b", WorkerRole.Decode, freeBlocks: 60)), PrefixOverlap.None, Prompt).Chosen!.Id.Value);
    }

    [Fact]
    public void RoundRobin_SkipsWorkersWithoutHeadroom()
    {
        var policy = new RoundRobinDecodePolicy();
        var candidates = Of(Worker("a", WorkerRole.Decode), Worker("full", WorkerRole.Decode, freeBlocks: 0), Worker("c", WorkerRole.Decode));
        var picks = Enumerable.Range(0, 4).Select(_ => policy.Select(candidates, PrefixOverlap.None, Prompt).Chosen!.Id.Value);
        Assert.Equal(["a", "c", "a", "c"], picks);
    }

    [Fact]
    public void Candidate_ColocatedWorker_CountsInBothPools()
    {
        var colocated = Worker("c", WorkerRole.Colocated);
        Assert.True(colocated.CanPrefill && colocated.CanDecode);
        Assert.False(Worker("p", WorkerRole.Prefill).CanDecode);
        Assert.False(Worker("d", WorkerRole.Decode).CanPrefill);
    }
}
