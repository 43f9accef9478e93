using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Cluster.Integration.Tests.Infrastructure;
using Grpc.Core;
using Xunit.Abstractions;

namespace Cluster.Integration.Tests;

/// <summary>
/// Issue 14, test 3: a cancel naming a client request id works through any router of the tier (three router
/// processes, a real redis-server, real prefill and decode workers), for the API key that started the request only.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RouterTierCancelTests(ClusterFixture fixture, RouterTierCancelTests.TierCluster tier, ITestOutputHelper output)
    : IClassFixture<RouterTierCancelTests.TierCluster>
{
    private const string OtherApiKey = "integration-other-key";

    // Long enough that the request is still generating when the cancel arrives, also on a loaded machine.
    private const int LongTokens = 1500;

    [Fact]
    public async Task StreamOnRouterA_CancelledThroughRouterB_EndsCancelledAndEveryWorkerFreesItsKv()
    {
        using var cts = new CancellationTokenSource(Deadline.Test);
        var cluster = tier.Cluster;
        using var a = new ClusterCalls(cluster, cluster.Routers[0].Grpc);
        using var b = new ClusterCalls(cluster, cluster.Routers[1].Grpc);
        await WaitAllWorkersIdleAsync(cluster, cts.Token);
        var generatedBefore = await GeneratedByDecodeWorkersAsync(cluster, cts.Token);

        var streamed = 0;
        var streaming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = a.GenerateAsync(WithId(a.Greedy(Prompts.Make(16_000, 24), LongTokens, ignoreEos: true), "tier-cancel-1"), cts.Token, n =>
        {
            Volatile.Write(ref streamed, n);
            if (n >= 5)
            {
                streaming.TrySetResult();
            }

            return Task.CompletedTask;
        });
        await streaming.Task.WaitAsync(cts.Token); // live on router A

        var answer = await b.Inference.CancelAsync(new CancelGenerationRequest { RequestId = "tier-cancel-1" }, b.RouterOptions(cts.Token));

        Assert.Equal("tier-cancel-1", answer.RequestId);
        var e = await Assert.ThrowsAsync<RpcException>(() => run);
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        Assert.Contains("cancelled through its request id", e.Status.Detail, StringComparison.Ordinal);
        await WaitAllWorkersIdleAsync(cluster, cts.Token);
        // Idle and settled: a request that ignored the cancel would have generated all of its tokens by now.
        var generated = await GeneratedByDecodeWorkersAsync(cluster, cts.Token) - generatedBefore;
        output.WriteLine($"{Volatile.Read(ref streamed)} tokens streamed; the decode workers generated {generated} of the {LongTokens} asked");
        Assert.InRange<ulong>(generated, 4, LongTokens / 2); // the first token may come from the prefill worker

        // The request ended: its id is free, and a cancel for it now finds nothing, from any router.
        var again = await Assert.ThrowsAsync<RpcException>(() => b.Inference.CancelAsync(new CancelGenerationRequest { RequestId = "tier-cancel-1" }, b.RouterOptions(cts.Token)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task CancelWithAnotherApiKey_IsRefusedAsNotFound_AndTheRequestFinishesUntouched()
    {
        using var cts = new CancellationTokenSource(Deadline.Test);
        var cluster = tier.Cluster;
        using var a = new ClusterCalls(cluster, cluster.Routers[0].Grpc);
        using var c = new ClusterCalls(cluster, cluster.Routers[2].Grpc);
        var prompt = Prompts.Make(16_100, 24);
        var expected = fixture.Golden.Greedy(prompt, 64, ignoreEos: true); // greedy outputs are prefixes of each other

        var streamed = 0;
        var streaming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = a.GenerateAsync(WithId(a.Greedy(prompt, LongTokens, ignoreEos: true), "tier-cancel-2"), cts.Token, n =>
        {
            Volatile.Write(ref streamed, n);
            streaming.TrySetResult();
            return Task.CompletedTask;
        });
        await streaming.Task.WaitAsync(cts.Token);

        var otherKey = new CallOptions(new Metadata { { "authorization", $"Bearer {OtherApiKey}" } }, DateTime.UtcNow.AddSeconds(30), cts.Token);
        var refused = await Assert.ThrowsAsync<RpcException>(() => c.Inference.CancelAsync(new CancelGenerationRequest { RequestId = "tier-cancel-2" }, otherKey).ResponseAsync);
        var streamedWhenRefused = Volatile.Read(ref streamed);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => c.Inference.CancelAsync(new CancelGenerationRequest { RequestId = "tier-cancel-none" }, otherKey).ResponseAsync);

        Assert.Equal((StatusCode.NotFound, StatusCode.NotFound), (refused.StatusCode, unknown.StatusCode));
        Assert.Equal(unknown.Status.Detail.Replace("tier-cancel-none", "tier-cancel-2", StringComparison.Ordinal), refused.Status.Detail); // nothing tells that it exists
        Assert.True(streamedWhenRefused < LongTokens, "the request had already finished when the other key's cancel was refused: the test proved nothing");
        var done = await run;
        Assert.Equal(LongTokens, done.Tokens.Count);
        Assert.Equal(expected, done.Tokens.Take(expected.Count));
        Assert.Equal(FinishReason.Length, done.Finish);
    }

    private static GenerateRequest WithId(GenerateRequest request, string requestId)
    {
        request.RequestId = requestId;
        return request;
    }

    private static async Task WaitAllWorkersIdleAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        using var calls = new ClusterCalls(cluster);
        foreach (var worker in cluster.Workers)
        {
            ulong? previous = null;
            await Deadline.UntilAsync(async () =>
            {
                var s = await calls.StatusAsync(worker, cancellationToken);
                var settled = previous == s.GeneratedTokens;
                previous = s.GeneratedTokens;
                return settled && s.RunningRequests == 0 && s.WaitingRequests == 0 && s.KvBlocksFree == s.KvBlocksTotal && s.KvReservations == 0;
            }, TimeSpan.FromSeconds(30), $"{worker.Name} has no running request, no reservation, every KV block free and generated_tokens no longer growing");
        }
    }

    private static async Task<ulong> GeneratedByDecodeWorkersAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        using var calls = new ClusterCalls(cluster);
        var sum = 0UL;
        foreach (var worker in cluster.Workers.Where(w => w.Role == "decode"))
        {
            sum += (await calls.StatusAsync(worker, cancellationToken)).GeneratedTokens;
        }

        return sum;
    }

    /// <summary>Three routers (one Orleans tier on a local redis-server), 1 prefill + 2 decode workers, and a second API key.</summary>
    public sealed class TierCluster : IAsyncLifetime
    {
        private ProcessCluster? _cluster;

        internal ProcessCluster Cluster => _cluster ?? throw new InvalidOperationException("the router tier cluster did not start");

        public async Task InitializeAsync() =>
            _cluster = await ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 2, new Dictionary<string, string>
            {
                ["Auth:ApiKeys:1"] = OtherApiKey, // a secret: passed in the environment, never on a command line
            }) with { Routers = 3 });

        public async Task DisposeAsync()
        {
            if (_cluster is not null)
            {
                await _cluster.DisposeAsync();
            }
        }
    }
}
