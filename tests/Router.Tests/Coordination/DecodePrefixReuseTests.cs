using Cluster.Router.Coordination;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>Decode-side prefix reuse: Reserve carries the tokens and salt; the push skips what D said it holds.</summary>
public sealed class DecodePrefixReuseTests
{
    [Fact]
    public async Task RunAsync_DecodeWorkerHoldsAPrefix_ReserveCarriesTokensAndSaltAndPrefillSkipsWhatItHolds()
    {
        await using var harness = Create();
        using var measurements = new RouterMeasurements(harness);
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        decode.ReserveCachedTokens = 32;
        var request = Request(promptTokens: 40, maxTokens: 4) with { CacheSalt = "tenant-a" };

        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(request));

        Assert.Equal(Expected(40, 4), tokens);
        var reserve = Assert.Single(decode.Reserves);
        Assert.Equal(request.PromptTokens.Select(t => (uint)t), reserve.TokenIds);
        Assert.Equal(reserve.PromptTokens, (uint)reserve.TokenIds.Count);
        Assert.Equal("tenant-a", reserve.CacheSalt);
        Assert.Equal(32u, Assert.Single(prefill.Prefills).DecodeCachedTokens);
        Assert.Equal(32, measurements.Sum(CoordinatorInstruments.DecodeReusedTokens));
    }

    [Fact]
    public async Task RunAsync_DecodeWorkerHoldsNothing_PrefillPushesEverything()
    {
        await using var harness = Create();
        using var measurements = new RouterMeasurements(harness);
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode);

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 2)));

        Assert.Equal(0u, Assert.Single(prefill.Prefills).DecodeCachedTokens);
        Assert.Equal(0, measurements.Sum(CoordinatorInstruments.DecodeReusedTokens));
    }
}
