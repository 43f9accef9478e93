using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Api.Text;
using Cluster.Router.Coordination;
using Cluster.Router.Models;
using Cluster.Router.Tests.Api.Infrastructure;
using Grpc.Core;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>
/// Usage's cached prompt tokens report what a worker's engine took from its prefix cache on every path: the prefill
/// worker's answer, the decode worker's when it computes the prompt itself (no prefill worker, or a failed transfer),
/// and also when a stop string ends the stream before the coordinator's final event.
/// </summary>
public sealed class CachedPromptTokensTests
{
    [Fact]
    public async Task RunAsync_DecodeWorkerPrefillsLocally_ReportsItsCachedTokens()
    {
        await using var harness = Create();
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        decode.LocalCachedTokens = 24;

        var events = await AllAsync(harness.Coordinator.RunAsync(Request(promptTokens: 30, maxTokens: 4)));

        Assert.Equal(new CoordinatorEvent.Finished(FinishReason.Length, 30, 4, 24), events.OfType<CoordinatorEvent.Finished>().Single());
        Assert.All(events.OfType<CoordinatorEvent.Tokens>(), t => Assert.Equal(24, t.CachedPromptTokens));
    }

    [Fact]
    public async Task RunAsync_TransferFailsAndDecodeWorkerRecomputes_ReportsTheDecodeWorkersCachedTokens()
    {
        await using var harness = Create();
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        prefill.CachedTokens = 32;
        prefill.PrefillFailure = new RpcException(new Status(StatusCode.Aborted, "KV push to d1 failed: connection reset"));
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        decode.LocalCachedTokens = 16;

        var (_, finished) = await CollectAsync(harness.Coordinator.RunAsync(Request(promptTokens: 50, maxTokens: 3)));

        Assert.Equal(16, finished.CachedPromptTokens);
    }

    [Fact]
    public async Task RunAsync_Disaggregated_FirstTokenEventCarriesThePrefillWorkersCachedTokens()
    {
        await using var harness = Create();
        var prefill = await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        prefill.CachedTokens = 32;
        var decode = await harness.AddWorkerAsync("d1", WorkerRole.Decode);
        decode.LocalCachedTokens = 99;   // never asked: D decodes from the transferred KV

        var events = await AllAsync(harness.Coordinator.RunAsync(Request(promptTokens: 40, maxTokens: 3)));

        Assert.Equal(32, events.OfType<CoordinatorEvent.Tokens>().First().CachedPromptTokens);
        Assert.Equal(32, events.OfType<CoordinatorEvent.Finished>().Single().CachedPromptTokens);
    }

    [Fact]
    public async Task GenerateAsync_StopStringEndsTheStream_UsageReportsTheCachedTokens()
    {
        var model = new ServedModel(new ModelId(TinyModel.Id), TinyModel.Tokenizer, null, TinyModel.ContextLength, [257], "test", 0);
        var prompt = TinyModel.Tokenizer.Encode("Say hi", addSpecialTokens: false).ToArray();
        var request = new TokenizedRequest(new RequestId("stop-string"), model.Id, prompt, new SamplingParams(), new StopConditions { MaxTokens = 20 }, false, "");
        var output = TinyModel.Tokenizer.Encode("Hello. World", addSpecialTokens: false).ToArray();
        var generator = new TextGenerator(new ScriptedCoordinator([
            new CoordinatorEvent.Tokens(output[..3], [], 12),
            new CoordinatorEvent.Tokens(output[3..], [], 12),
            new CoordinatorEvent.Finished(FinishReason.Length, prompt.Length, output.Length, 12),
        ]));

        var chunks = new List<TextChunk>();
        await foreach (var chunk in generator.GenerateAsync(new PreparedRequest(model, request, ["."])))
        {
            chunks.Add(chunk);
        }

        Assert.Equal("Hello", string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
        Assert.Equal(new GenerationUsage(prompt.Length, 6, 12), chunks[^1].Usage);
    }

    private static async Task<List<CoordinatorEvent>> AllAsync(IAsyncEnumerable<CoordinatorEvent> events)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var all = new List<CoordinatorEvent>();
        await foreach (var e in events.WithCancellation(timeout.Token))
        {
            all.Add(e);
        }

        return all;
    }

    /// <summary>Yields the given events (the front end's view of a coordinator).</summary>
    private sealed class ScriptedCoordinator(IReadOnlyList<CoordinatorEvent> events) : IRequestCoordinator
    {
        public async IAsyncEnumerable<CoordinatorEvent> RunAsync(TokenizedRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var e in events)
            {
                await Task.Yield();
                yield return e;
            }
        }
    }
}
