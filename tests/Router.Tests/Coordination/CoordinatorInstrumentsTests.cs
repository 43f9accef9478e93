using System.Diagnostics.Metrics;
using Cluster.ClusterState.Model;
using Cluster.Router.Coordination;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

public sealed class CoordinatorInstrumentsTests
{
    [Fact]
    public async Task RunAsync_MigrationAndTransferFailure_CountDecisionsAndRecoveriesByKind()
    {
        await using var harness = Create();
        var meterFactory = harness.Services.GetRequiredService<IMeterFactory>();
        var measured = new List<(string Name, string Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CoordinatorInstruments.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                l.EnableMeasurementEvents(instrument); // only this test's meter: other tests run in parallel
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (measured) { measured.Add((instrument.Name, string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")))); }
        });
        listener.Start();
        _ = harness.Coordinator; // instruments are created with the coordinator
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var dying = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        await harness.AddWorkerAsync("d2", WorkerRole.Decode, new WorkerLoad(1000, 4, 0, 0, 0, 0));
        dying.DieAfterTokens = 1;

        await CollectAsync(harness.Coordinator.RunAsync(Request(maxTokens: 5)), n => { if (n >= 2) { dying.Kill.TrySetResult(); } });
        dying.DieAfterTokens = null;
        prefill.PrefillFailure = new global::Grpc.Core.RpcException(new global::Grpc.Core.Status(global::Grpc.Core.StatusCode.Aborted, "push failed"));
        await CollectAsync(harness.Coordinator.RunAsync(Request(maxTokens: 2)));

        lock (measured)
        {
            Assert.Equal(3, measured.Count(m => m is { Name: CoordinatorInstruments.Decisions, Tags: "mode=disaggregated,index=available,reason=unmeasured,policy=measured-cost,prefill_policy=cache-aware,decode_policy=cache-aware" }));
            Assert.Single(measured, m => m is { Name: CoordinatorInstruments.Recoveries, Tags: "kind=migration" });
            Assert.Single(measured, m => m is { Name: CoordinatorInstruments.Recoveries, Tags: "kind=transfer_recompute" });
        }
    }

    [Theory]
    [InlineData("round-robin", "least-loaded", "threshold", "disaggregated", "threshold")]
    [InlineData("least-loaded", "round-robin", "measured-cost", "disaggregated", "unmeasured")]
    public async Task RunAsync_Decision_TaggedWithTheConfiguredPolicies(string prefillPolicy, string decodePolicy, string disaggregationPolicy, string mode, string reason)
    {
        await using var harness = Create(new()
        {
            ["Routing:PrefillPolicy"] = prefillPolicy,
            ["Routing:DecodePolicy"] = decodePolicy,
            ["Routing:DisaggregationPolicy"] = disaggregationPolicy,
        });
        using var measurements = new RouterMeasurements(harness);
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode);

        await CollectAsync(harness.Coordinator.RunAsync(Request(maxTokens: 2)));

        Assert.Equal(
            [$"mode={mode},index=available,reason={reason},policy={disaggregationPolicy},prefill_policy={prefillPolicy},decode_policy={decodePolicy}"],
            measurements.Tags(CoordinatorInstruments.Decisions));
    }
}
