using Cluster.Contracts.V1;
using Grpc.Core;
using Cluster.Worker.Requests;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>Graceful shutdown: deregister, refuse new work, let in-flight requests finish up to Worker:DrainTimeout.</summary>
public sealed class DrainTests : IDisposable
{
    private readonly TinyModel _model = new();

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task Draining_RefusesNewWorkButFinishesTheStreamInFlight()
    {
        await using var host = await WorkerHost.StartAsync(WorkerPair.DecodeRole, _model);
        var prompt = TinyModel.Prompt(12, seed: 4);
        using var call = host.Client.Decode(Calls.Decode("in-flight", prompt, [], 40), host.Options());
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var tokens = call.ResponseStream.Current.TokenIds.Select(t => (int)t).ToList();

        host.Get<WorkerDrain>().Begin();

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await host.Client.ReserveAsync(new ReserveRequest { RequestId = "new", PromptTokens = 4 }, host.Options()));
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("worker draining", e.Status.Detail, StringComparison.Ordinal);
        var last = FinishReason.Unspecified;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            tokens.AddRange(call.ResponseStream.Current.TokenIds.Select(t => (int)t));
            last = call.ResponseStream.Current.FinishReason;
        }

        Assert.Equal(_model.Greedy(prompt, 40), tokens);
        Assert.Equal(FinishReason.Length, last);
    }

    [Fact]
    public async Task Stop_WithAStreamInFlight_DeregistersFirstAndLetsItFinish()
    {
        var state = new SharedClusterState();
        var host = await WorkerHost.StartAsync(WorkerPair.DecodeRole, _model, state);
        await Eventually.ReturnsAsync(() => state.Registry.ListAsync(), w => w.Length == 1, "the registered worker");
        var prompt = TinyModel.Prompt(12, seed: 5);
        using var call = host.Client.Decode(Calls.Decode("finishing", prompt, [], 300), host.Options());
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var tokens = call.ResponseStream.Current.TokenIds.Select(t => (int)t).ToList();

        var stopping = host.App.StopAsync();
        await Eventually.ReturnsAsync(() => state.Registry.ListAsync(), w => w.IsEmpty, "the worker deregistered");
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            tokens.AddRange(call.ResponseStream.Current.TokenIds.Select(t => (int)t));
        }

        await stopping;
        Assert.Equal(300, tokens.Count);
        await host.DisposeAsync();
    }

    [Fact]
    public async Task Stop_StreamOutlivesDrainTimeout_EndsUnavailable()
    {
        // A stream that cannot end inside the drain timeout: 30,000 tokens of a model with 32,768 positions (with the preset's
        // 2,048 the request was capped near 2,030 tokens, which a fast core generated inside 200 ms: flaky in CI).
        using var longModel = new TinyModel(maxPositions: 32_768);
        var host = await WorkerHost.StartAsync(
            WorkerPair.DecodeRole, longModel, settings: ["--Worker:DrainTimeout=00:00:00.200", "--KvCache:NumBlocks=8200"]);
        using var call = host.Client.Decode(Calls.Decode("too-long", TinyModel.Prompt(12, seed: 6), [], 30_000), host.Options());
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var stopping = host.App.StopAsync();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        // The handler ends the call UNAVAILABLE (CallFailures.Map); on grpc-dotnet the server sometimes resets the stream
        // (CANCEL) while stopping before that status is written — seen in a fresh-clone CI run, root cause not found yet
        // (closing note of 2026-12-07). Both end the stream at the drain timeout, and the router migrates on both
        // (WorkerFailures.IsWorkerLoss); what must never happen is the stream running on or hanging.
        var reset = e.StatusCode == StatusCode.Cancelled && e.Status.Detail.Contains("server reset the stream", StringComparison.Ordinal);
        Assert.True(e.StatusCode == StatusCode.Unavailable || reset, e.Status.ToString());
        await stopping;
        await host.DisposeAsync();
    }
}
