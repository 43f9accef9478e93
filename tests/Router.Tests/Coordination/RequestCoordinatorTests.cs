using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using Cluster.Core.Hashing;
using Cluster.Router.Coordination;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

public sealed class RequestCoordinatorTests
{
    [Fact]
    public async Task RunAsync_PrefillAndDecodeWorkers_ReservesPrefillsThenRelaysDecodeWithUsage()
    {
        await using var harness = Create();
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        prefill.CachedTokens = 16;
        var request = Request(promptTokens: 40, maxTokens: 8, logprobs: true);

        var events = await harness.Coordinator.RunAsync(request).ToListAsync();

        var tokens = events.OfType<CoordinatorEvent.Tokens>().ToList();
        Assert.Equal(Expected(40, 8), tokens.SelectMany(t => t.Ids));
        Assert.All(tokens, t => Assert.Equal(t.Ids.Count, t.Logprobs.Count));
        Assert.Equal([FakeWorker.TokenAt(40)], tokens[0].Ids); // the prefill's first token comes on its own, before Decode
        Assert.Equal(new CoordinatorEvent.Finished(FinishReason.Length, 40, 8, 16), events[^1]);

        var reserve = Assert.Single(decode.Reserves);
        Assert.Equal((request.Id.Value, 40u, 8u), (reserve.RequestId, reserve.PromptTokens, reserve.MaxNewTokens));
        var prefillCall = Assert.Single(prefill.Prefills);
        Assert.Equal(decode.Address, prefillCall.DecodeEndpoint);
        Assert.StartsWith("d1-t", prefillCall.Ticket, StringComparison.Ordinal);
        Assert.Equal(request.PromptTokens.Select(t => (uint)t), prefillCall.PromptTokenIds);
        var decodeCall = Assert.Single(decode.Decodes);
        Assert.Equal(prefillCall.Ticket, decodeCall.Ticket);
        Assert.Equal([(uint)FakeWorker.TokenAt(40)], decodeCall.GeneratedTokenIds);
        Assert.Equal(8u, decodeCall.Stop.MaxTokens);
        Assert.Empty(prefill.Cancels);
        Assert.Empty(decode.Cancels);
        Assert.All(prefill.Authorizations.Concat(decode.Authorizations), a => Assert.Equal("Bearer " + ClusterToken, a));
    }

    [Fact]
    public async Task RunAsync_OnlyDecodeWorker_DecodesWithoutTicket()
    {
        await using var harness = Create();
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);

        var (tokens, finished) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 33, maxTokens: 5)));

        Assert.Equal(Expected(33, 5), tokens);
        Assert.Equal(new CoordinatorEvent.Finished(FinishReason.Length, 33, 5, 0), finished);
        Assert.Empty(decode.Reserves);
        var call = Assert.Single(decode.Decodes);
        Assert.Equal(("", 0), (call.Ticket, call.GeneratedTokenIds.Count));
    }

    [Fact]
    public async Task RunAsync_UncachedPartBelowMinDisaggregatedTokens_DecodeWorkerPrefillsLocally()
    {
        await using var harness = Create(new() { ["Routing:MinDisaggregatedTokens"] = "64" });
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);

        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 4)));

        Assert.Equal(Expected(40, 4), tokens);
        Assert.Empty(prefill.Prefills);
        Assert.Equal("", Assert.Single(decode.Decodes).Ticket);
    }

    [Fact]
    public async Task RunAsync_OneColocatedWorker_ServesLocallyWithoutTransfer()
    {
        await using var harness = Create();
        var worker = await harness.AddWorkerAsync("c1", WorkerRole.Colocated);

        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 20, maxTokens: 3)));

        Assert.Equal(Expected(20, 3), tokens);
        Assert.Empty(worker.Prefills);
        Assert.Equal("", Assert.Single(worker.Decodes).Ticket);
    }

    [Fact]
    public async Task RunAsync_PrefixCachedOnOnePrefillWorker_RoutesPrefillThere()
    {
        await using var harness = Create();
        var cold = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var warm = await harness.AddWorkerAsync("p2", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var request = Request(promptTokens: 64, maxTokens: 2);
        var blocks = new BlockHasher(Model, 16).HashBlocks(request.PromptTokens.ToArray());
        var index = harness.Services.GetRequiredService<IPrefixIndex>();
        Assert.Equal(ClusterState.Events.IndexWriteOutcome.Applied, await index.ReplaceAllAsync(Model, warm.Id, blocks[..3], 1));

        for (var i = 0; i < 5; i++)
        {
            await CollectAsync(harness.Coordinator.RunAsync(request with { Id = new Core.Ids.RequestId($"r{i}") }));
        }

        Assert.Equal(5, warm.Prefills.Count);
        Assert.Empty(cold.Prefills);
    }

    [Fact]
    public async Task RunAsync_MaxTokensOne_EndsAfterPrefillAndFreesTheReservation()
    {
        await using var harness = Create();
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        var request = Request(promptTokens: 10, maxTokens: 1);

        var (tokens, finished) = await CollectAsync(harness.Coordinator.RunAsync(request));

        Assert.Equal(Expected(10, 1), tokens);
        Assert.Equal(FinishReason.Length, finished.Reason);
        Assert.Empty(decode.Decodes);
        Assert.Equal(request.Id.Value, await decode.CancelSeen.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task RunAsync_NoWorkerServesModel_NotFoundNamingTheModel()
    {
        await using var harness = Create();
        var e = await Assert.ThrowsAsync<RpcException>(() => harness.Coordinator.RunAsync(Request()).ToListAsync().AsTask());
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains(Model.Value, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_OnlyPrefillWorkers_UnavailableAskingForADecodeWorker()
    {
        await using var harness = Create();
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        var e = await Assert.ThrowsAsync<RpcException>(() => harness.Coordinator.RunAsync(Request()).ToListAsync().AsTask());
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("decode worker", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_EmptyPrompt_InvalidArgument()
    {
        await using var harness = Create();
        var e = await Assert.ThrowsAsync<RpcException>(() => harness.Coordinator.RunAsync(Request() with { PromptTokens = [] }).ToListAsync().AsTask());
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }
}
