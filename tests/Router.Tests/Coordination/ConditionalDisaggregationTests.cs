using Cluster.ClusterState.Model;
using Cluster.Router.Coordination;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>Routing:DisaggregationPolicy: measured-cost learns each push's exposed time; the floor MinDisaggregatedTokens always applies.</summary>
public sealed class ConditionalDisaggregationTests
{
    /// <summary>The decode worker prefills 20,000 tokens/s: 50 µs per token.</summary>
    private static readonly WorkerLoad FastLocalPrefill = new(1000, 0, 0, 0, 20_000, 0);

    [Fact]
    public async Task RunAsync_MeasuredTransferCostsMoreThanLocalPrefill_NextRequestStaysLocal()
    {
        await using var harness = Create();
        using var measurements = new RouterMeasurements(harness);
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode, FastLocalPrefill);
        prefill.Transfer = (Bytes: 1 << 20, ExposedUs: 400_000, TotalUs: 500_000); // 40 tokens: 10 ms per token

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 2)));
        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 2)));

        Assert.Equal(Expected(40, 2), tokens);
        Assert.Single(prefill.Prefills); // only the first, unmeasured request
        Assert.Equal(["d1-t1", ""], decode.Decodes.Select(d => d.Ticket));
        Assert.Equal(
            ["mode=disaggregated,index=available,reason=unmeasured,policy=measured-cost,prefill_policy=cache-aware,decode_policy=cache-aware", "mode=local,index=available,reason=local_cheaper,policy=measured-cost,prefill_policy=cache-aware,decode_policy=cache-aware"],
            measurements.Tags(CoordinatorInstruments.Decisions));
    }

    [Fact]
    public async Task RunAsync_MeasuredTransferCheaperThanLocalPrefill_NextRequestDisaggregates()
    {
        await using var harness = Create();
        using var measurements = new RouterMeasurements(harness);
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode, FastLocalPrefill);
        prefill.Transfer = (Bytes: 1 << 20, ExposedUs: 40, TotalUs: 500_000); // mostly hidden under compute: 1 µs per token

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 2)));
        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 2)));

        Assert.Equal(2, prefill.Prefills.Count);
        Assert.Equal(
            ["mode=disaggregated,index=available,reason=unmeasured,policy=measured-cost,prefill_policy=cache-aware,decode_policy=cache-aware", "mode=disaggregated,index=available,reason=transfer_cheaper,policy=measured-cost,prefill_policy=cache-aware,decode_policy=cache-aware"],
            measurements.Tags(CoordinatorInstruments.Decisions));
    }

    [Theory]
    [InlineData("measured-cost")]
    [InlineData("threshold")]
    public async Task RunAsync_BelowTheFloor_LocalWhateverThePolicy(string policy)
    {
        await using var harness = Create(new() { ["Routing:DisaggregationPolicy"] = policy, ["Routing:MinDisaggregatedTokens"] = "1000000" });
        using var measurements = new RouterMeasurements(harness);
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 2)));

        Assert.Empty(prefill.Prefills);
        Assert.Equal("", Assert.Single(decode.Decodes).Ticket);
        Assert.Equal([$"mode=local,index=available,reason=floor,policy={policy},prefill_policy=cache-aware,decode_policy=cache-aware"], measurements.Tags(CoordinatorInstruments.Decisions));
    }

    [Fact]
    public async Task RunAsync_ThresholdPolicy_DisaggregatesDespiteAnExpensiveMeasuredTransfer()
    {
        await using var harness = Create(new() { ["Routing:DisaggregationPolicy"] = "threshold" });
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode, FastLocalPrefill);
        prefill.Transfer = (Bytes: 1 << 20, ExposedUs: 400_000, TotalUs: 500_000);

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 2)));
        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 2)));

        Assert.Equal(2, prefill.Prefills.Count);
    }
}
