using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Router.Routing;
using static Cluster.Router.Tests.Routing.Candidates;

namespace Cluster.Router.Tests.Routing;

public sealed class DisaggregationPolicyTests
{
    private static readonly RoutingRequest Prompt = new(PromptTokens: 1000, BlockSize: 16);
    private static readonly WorkerId D1 = new("d1");
    private static readonly RoutingCandidate P = Worker("p1", WorkerRole.Prefill); // no measured rate

    [Fact]
    public void MeasuredCost_BeforeAnyMeasurement_Disaggregates() =>
        Assert.Equal(new DisaggregationDecision(true, "unmeasured"), Policy().Decide(P, Decode(prefillRate: 1e9), PrefixOverlap.None, Prompt));

    [Fact]
    public void MeasuredCost_ExpensiveTransferAndFastLocalPrefill_StaysLocal()
    {
        var policy = Policy();
        // 1,000 tokens pushed with 200 ms exposed: 200 µs per token; D prefills at 20,000 tokens/s = 50 µs per token.
        policy.Observe(D1, new TransferSample(PushedTokens: 1000, TransferredBytes: 1 << 20, ExposedMicroseconds: 200_000, TotalMicroseconds: 300_000));

        Assert.Equal(new DisaggregationDecision(false, "local_cheaper"), policy.Decide(P, Decode(prefillRate: 20_000), PrefixOverlap.None, Prompt));
    }

    [Fact]
    public void MeasuredCost_PrefillWorkerHoldsThePrefix_DisaggregatesDespiteExpensiveTransfer()
    {
        var policy = Policy();
        // 200 µs per pushed token against 50 µs per token locally: without a cache the request stays local (test above).
        policy.Observe(D1, new TransferSample(PushedTokens: 1000, TransferredBytes: 1 << 20, ExposedMicroseconds: 200_000, TotalMicroseconds: 300_000));
        var holder = Worker("p1", WorkerRole.Prefill, prefillRate: 20_000);
        var decode = Decode(prefillRate: 20_000);

        // 1,000 tokens, P holds 62 of 63 blocks: P prefills 8 tokens (0.4 ms), the push of 1,000 costs 200 ms, and D
        // would prefill 1,000 (50 ms) while stalling its decodes for as long: 200.4 ms > 100 ms, still local.
        var cachedOnP = new PrefixOverlap(System.Collections.Immutable.ImmutableDictionary<WorkerId, int>.Empty.Add(holder.Id, 62), IndexAvailable: true);
        Assert.Equal(new DisaggregationDecision(false, "local_cheaper"), policy.Decide(holder, decode, cachedOnP, Prompt));

        // A cheaper push (70 µs per token, 70 ms): 70.4 ms < 100 ms, so the request goes to the holder, where without its
        // cache (P prefilling all 1,000 tokens, 50 ms) it would stay local (120 ms > 100 ms).
        var cheaper = Policy();
        cheaper.Observe(D1, new TransferSample(1000, 1 << 20, 70_000, 300_000));
        Assert.Equal(new DisaggregationDecision(true, "transfer_cheaper"), cheaper.Decide(holder, decode, cachedOnP, Prompt));
        Assert.Equal(new DisaggregationDecision(false, "local_cheaper"), cheaper.Decide(holder, decode, PrefixOverlap.None, Prompt));
    }

    [Fact]
    public void MeasuredCost_StayingLocal_ProbesATransferEveryProbeInterval()
    {
        var policy = Policy();
        policy.Observe(D1, new TransferSample(PushedTokens: 1000, TransferredBytes: 1 << 20, ExposedMicroseconds: 200_000, TotalMicroseconds: 300_000));
        var decode = Decode(prefillRate: 20_000);

        var reasons = Enumerable.Range(0, 2 * MeasuredCostDisaggregationPolicy.ProbeInterval).Select(_ => policy.Decide(P, decode, PrefixOverlap.None, Prompt).Reason).ToList();

        // Local until the interval is reached, then one transfer to re-measure, then local again.
        Assert.Equal(2, reasons.Count(r => r == "probe"));
        Assert.Equal(MeasuredCostDisaggregationPolicy.ProbeInterval - 1, reasons.IndexOf("probe"));
        Assert.All(reasons.Where(r => r != "probe"), r => Assert.Equal("local_cheaper", r));
    }

    [Fact]
    public void MeasuredCost_CheapTransfer_Disaggregates()
    {
        var policy = Policy();
        // 10 ms exposed for 1,000 tokens: 10 µs per token < 50 µs per token locally.
        policy.Observe(D1, new TransferSample(1000, 1 << 20, 10_000, 300_000));

        Assert.Equal(new DisaggregationDecision(true, "transfer_cheaper"), policy.Decide(P, Decode(prefillRate: 20_000), PrefixOverlap.None, Prompt));
    }

    [Fact]
    public void MeasuredCost_UnmeasuredDecodeRate_UsesTheDefaultRate()
    {
        var policy = Policy(defaultRate: 1_000); // 1 ms per token locally
        policy.Observe(D1, new TransferSample(1000, 1 << 20, 200_000, 300_000)); // 200 µs per token

        Assert.True(policy.Decide(P, Decode(prefillRate: 0), PrefixOverlap.None, Prompt).Disaggregate);
    }

    [Fact]
    public void MeasuredCost_UnmeasuredDecodeRate_UsesThePrefillWorkersRate()
    {
        // A decode worker that only receives KV never measures a prefill rate; P's (same hardware) stands in for it.
        var policy = Policy(defaultRate: 1_000);                                  // the default would say 1 ms per token
        policy.Observe(D1, new TransferSample(1000, 1 << 20, 30_000, 40_000));   // 30 µs per token exposed
        var gpuPrefill = Worker("p1", WorkerRole.Prefill, prefillRate: 200_000); // 5 µs per token

        Assert.Equal(new DisaggregationDecision(false, "local_cheaper"), policy.Decide(gpuPrefill, Decode(prefillRate: 0), PrefixOverlap.None, Prompt));
        // D's own measurement, when it has one, wins over P's.
        Assert.Equal(new DisaggregationDecision(true, "transfer_cheaper"), policy.Decide(gpuPrefill, Decode(prefillRate: 10_000), PrefixOverlap.None, Prompt));
    }

    [Fact]
    public void MeasuredCost_UnreportedSamples_AreIgnored()
    {
        var policy = Policy();
        policy.Observe(D1, new TransferSample(1000, 0, 200_000, 300_000)); // no bytes
        policy.Observe(D1, new TransferSample(1000, 1 << 20, 200_000, 0)); // no total
        policy.Observe(D1, new TransferSample(0, 1 << 20, 200_000, 300_000)); // nothing pushed

        Assert.Null(policy.SecondsPerToken(D1));
        Assert.Equal("unmeasured", policy.Decide(P, Decode(prefillRate: 20_000), PrefixOverlap.None, Prompt).Reason);
    }

    [Fact]
    public void MeasuredCost_Samples_AreSmoothedAndExposedIsCappedAtTotal()
    {
        var policy = Policy(smoothing: 0.5);
        policy.Observe(D1, new TransferSample(1000, 1, 100_000, 100_000)); // 100 µs/token
        policy.Observe(D1, new TransferSample(1000, 1, 900_000, 300_000)); // capped: 300 µs/token

        Assert.Equal(200e-6, policy.SecondsPerToken(D1)!.Value, 1e-12);
        Assert.Null(policy.SecondsPerToken(new WorkerId("d2")));
    }

    [Fact]
    public void Threshold_AlwaysDisaggregates()
    {
        var policy = new ThresholdDisaggregationPolicy();
        policy.Observe(D1, new TransferSample(1000, 1 << 20, 10_000_000, 10_000_000));

        Assert.Equal(new DisaggregationDecision(true, "threshold"), policy.Decide(P, Decode(prefillRate: 1e9), PrefixOverlap.None, Prompt));
    }

    [Fact]
    public void Factory_NamesEachPolicy()
    {
        Assert.IsType<MeasuredCostDisaggregationPolicy>(RoutingPolicyFactory.CreateDisaggregation(DisaggregationPolicyNames.MeasuredCost, 0.2, 4000));
        Assert.IsType<ThresholdDisaggregationPolicy>(RoutingPolicyFactory.CreateDisaggregation(DisaggregationPolicyNames.Threshold, 0.2, 4000));
        Assert.Throws<ArgumentException>(() => RoutingPolicyFactory.CreateDisaggregation("always", 0.2, 4000));
    }

    private static MeasuredCostDisaggregationPolicy Policy(double smoothing = 0.2, double defaultRate = 4000) => new(smoothing, defaultRate);

    private static RoutingCandidate Decode(double prefillRate) => Worker("d1", WorkerRole.Decode, prefillRate: prefillRate);
}
