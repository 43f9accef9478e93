using Cluster.Contracts.V1;
using Grpc.Core;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>The colocated role: prefill and decode on one engine (the baseline and single-process mode).</summary>
public sealed class ColocatedWorkerTests : IAsyncLifetime
{
    private readonly TinyModel _model = new();
    private WorkerHost _host = null!;

    public async Task InitializeAsync() => _host = await WorkerHost.StartAsync(WorkerApp.ColocatedDefaults, _model);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _model.Dispose();
    }

    [Fact]
    public async Task Decode_NoTicket_EqualsSingleEngineGeneration()
    {
        var prompt = TinyModel.Prompt(21, seed: 12);

        var messages = await Calls.ReadAllAsync(_host, Calls.Decode("colocated", prompt, [], 9));

        Assert.Equal(_model.Greedy(prompt, 9), Calls.Tokens(messages));
        Assert.Equal(WorkerRole.Colocated, (await _host.StatusAsync()).Role);
    }

    [Fact]
    public async Task Prefill_WithoutPush_AnswersTheFirstTokenAndSecondCallHitsThePrefixCache()
    {
        var prompt = TinyModel.Prompt(16, seed: 13);
        var request = new PrefillRequest { RequestId = "p1" };
        request.PromptTokenIds.Add(prompt.Select(t => (uint)t));

        var first = await _host.Client.PrefillAsync(request, _host.Options());
        request.RequestId = "p2";
        var second = await _host.Client.PrefillAsync(request, _host.Options());

        Assert.Equal(_model.Greedy(prompt, 1)[0], (int)first.FirstTokenId);
        Assert.Equal(first.FirstTokenId, second.FirstTokenId);
        Assert.Equal(16u, first.ComputedTokens);
        Assert.Equal(12u, second.CachedTokens);   // three full blocks of 4; the last block is recomputed
        var status = await _host.StatusAsync();
        Assert.Equal(20ul, status.ComputedPromptTokens);
        Assert.Equal(12ul, status.CachedPromptTokens);
        Assert.Equal(0, status.PrefillTokensPerSecond);   // 20 tokens: fewer than a rate sample needs (PrefillRateMeter)
    }

    [Fact]
    public async Task PrefillTokensPerSecond_CountsPromptTokensOnly_NotDecodeSteps()
    {
        // 300 decode steps after an 8-token prompt: enough tokens for a rate sample, but none of them a prompt token,
        // so the worker still advertises no prefill rate (counting them made a decode worker's rate its decode rate).
        await Calls.ReadAllAsync(_host, Calls.Decode("decode-only", TinyModel.Prompt(8, seed: 14), [], 300));
        Assert.Equal(0, (await _host.StatusAsync()).PrefillTokensPerSecond);

        var request = new PrefillRequest { RequestId = "long-prompt" };
        request.PromptTokenIds.Add(TinyModel.Prompt(300, seed: 15).Select(t => (uint)t));
        await _host.Client.PrefillAsync(request, _host.Options());

        Assert.True((await _host.StatusAsync()).PrefillTokensPerSecond > 0, "a 300-token prompt is a rate sample");
    }

    [Fact]
    public async Task Prefill_WithDecodeEndpoint_FailedPrecondition()
    {
        var request = new PrefillRequest { RequestId = "push", DecodeEndpoint = "http://127.0.0.1:5", Ticket = "t" };
        request.PromptTokenIds.Add([1, 2, 3]);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await _host.Client.PrefillAsync(request, _host.Options()));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
    }
}
