using Cluster.ClusterState.Model;
using Cluster.Router.Coordination;
using Grpc.Core;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;

namespace Cluster.Router.Tests.Coordination;

public sealed class RequestInstrumentsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_DisaggregatedRequestWithinSlo_RecordsLatencyTokensPhasesAndGoodputMet()
    {
        await using var harness = Create(new() { ["Slo:TimeToFirstToken"] = "00:01:00", ["Slo:TimePerOutputToken"] = "00:01:00" });
        using var measured = new RouterMeasurements(harness);
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode);

        await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 5)));

        var model = $"gen_ai.request.model={Model.Value}";
        Assert.Single(measured.Values(RequestInstruments.TimeToFirstToken, model));
        Assert.Single(measured.Values(RequestInstruments.TimePerOutputToken, model));
        Assert.Single(measured.Values(RequestInstruments.RequestDuration, model));
        Assert.Equal(["api=internal,outcome=ok,finish_reason=length," + model], measured.Tags(RequestInstruments.Requests));
        Assert.Equal(5, measured.Values(RequestInstruments.Tokens, "gen_ai.token.type=output").Sum());
        Assert.Equal(40, measured.Values(RequestInstruments.Tokens, "source=computed").Sum());
        Assert.Equal(40, measured.Values(RequestInstruments.Tokens, "source=transferred").Sum());
        Assert.Equal([1, -1], measured.Values(RequestInstruments.ActiveRequests));
        Assert.Single(measured.Values(RequestInstruments.PhaseDuration, "phase=reserve"));
        Assert.Single(measured.Values(RequestInstruments.PhaseDuration, "phase=prefill"));
        Assert.Single(measured.Values(RequestInstruments.PhaseDuration, "phase=decode"));
        Assert.NotEmpty(measured.Values(RequestInstruments.DecisionDuration));
        Assert.Equal(32, measured.Sum(RequestInstruments.LookedUpTokens)); // 40 tokens = 2 full blocks of 16
        Assert.Equal([model + ",slo=met,violated=none"], measured.Tags(RequestInstruments.Goodput));
    }

    [Fact]
    public async Task RunAsync_TtftBeyondSlo_GoodputMissedNamingTtft()
    {
        await using var harness = Create(new() { ["Slo:TimeToFirstToken"] = "00:00:00", ["Slo:TimePerOutputToken"] = "00:01:00" });
        using var measured = new RouterMeasurements(harness);
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode);

        await CollectAsync(harness.Coordinator.RunAsync(Request(maxTokens: 3)));

        Assert.Equal([$"gen_ai.request.model={Model.Value},slo=missed,violated=ttft"], measured.Tags(RequestInstruments.Goodput));
    }

    [Fact]
    public async Task RunAsync_ClientCancels_CountedCancelledNotErrorAndNotInGoodput()
    {
        await using var harness = Create();
        using var measured = new RouterMeasurements(harness);
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        decode.HoldAfterFirstToken = new TaskCompletionSource().Task;
        using var cts = new CancellationTokenSource();

        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var _ in harness.Coordinator.RunAsync(Request(maxTokens: 50), cts.Token).OfType<CoordinatorEvent.Tokens>())
            {
                await cts.CancelAsync();
            }
        }).WaitAsync(Bound);

        Assert.True(error is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }, $"expected a cancellation, got {error}");
        Assert.Single(measured.Tags(RequestInstruments.Requests), t => t.StartsWith("api=internal,outcome=cancelled,finish_reason=none", StringComparison.Ordinal));
        Assert.Empty(measured.Tags(RequestInstruments.Goodput));
        Assert.DoesNotContain(measured.Tags(RequestInstruments.RequestDuration), t => t.Contains("error.type", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_NoWorker_ErrorTypeIsTheStatusCode()
    {
        await using var harness = Create(new() { ["Routing:NoWorkerWait"] = "00:00:00" });
        using var measured = new RouterMeasurements(harness);

        await Assert.ThrowsAsync<RpcException>(() => CollectAsync(harness.Coordinator.RunAsync(Request())));

        Assert.Single(measured.Tags(RequestInstruments.RequestDuration), t => t.EndsWith("error.type=NotFound", StringComparison.Ordinal));
        Assert.Equal([$"gen_ai.request.model={Model.Value},slo=missed,violated=error"], measured.Tags(RequestInstruments.Goodput));
    }

    [Fact]
    public async Task RunAsync_IdClaimRefused_ErrorTypeIsTheApiErrorKind()
    {
        await using var harness = Create();
        await harness.AddWorkerAsync("c1", WorkerRole.Colocated);
        using var measured = new RouterMeasurements(harness);
        var refused = Task.FromException(new Cluster.Router.Api.ApiException(Cluster.Router.Api.ApiErrorKind.Conflict, "request id in use", "request_id"));

        await Assert.ThrowsAsync<Cluster.Router.Api.ApiException>(() => CollectAsync(harness.Coordinator.RunAsync(Request() with { Precondition = refused })));

        Assert.Single(measured.Tags(RequestInstruments.RequestDuration), t => t.EndsWith("error.type=Conflict", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Workers_Gauge_CountsByRoleAndState()
    {
        await using var harness = Create();
        using var measured = new RouterMeasurements(harness);
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        await harness.AddWorkerAsync("d2", WorkerRole.Decode);
        await CollectAsync(harness.Coordinator.RunAsync(Request(maxTokens: 2))); // reads the registry

        measured.Observe();

        Assert.Equal([1], measured.Values(RequestInstruments.Workers, "role=prefill,state=live"));
        Assert.Equal([2], measured.Values(RequestInstruments.Workers, "role=decode,state=live"));
    }
}
