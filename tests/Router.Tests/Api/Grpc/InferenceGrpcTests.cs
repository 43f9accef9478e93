using Cluster.Contracts.V1;
using Cluster.Router.Tests.Api.Infrastructure;
using Grpc.Core;

namespace Cluster.Router.Tests.Api.Grpc;

public sealed class InferenceGrpcTests
{
    /// <summary>Only bounds a hang: what the test waits for must happen, however loaded the machine is.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static GenerateRequest Text(string text, uint maxTokens = 0) =>
        new() { Model = TinyModel.Id, Text = text, Stop = new StopConditions { MaxTokens = maxTokens } };

    [Fact]
    public async Task Generate_TextPrompt_StreamsTextThenFinishReasonAndUsageOnLastChunk()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.Reason = FinishReason.Stop;
        using var call = router.Grpc.Generate(Text("Hi", maxTokens: 40), router.KeyedOptions());
        var chunks = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.True(chunks.Count > 2);
        Assert.Equal(router.Coordinator.Output, string.Concat(chunks.Select(c => c.Text)));
        Assert.All(chunks[..^1], c => Assert.Equal(FinishReason.Unspecified, c.FinishReason));
        Assert.All(chunks[..^1], c => Assert.Null(c.Usage));
        var last = chunks[^1];
        Assert.Equal(FinishReason.Stop, last.FinishReason);
        var promptTokens = 2; // "Hi": the byte-level tokenizer adds no BOS to text
        Assert.Equal(new Usage { PromptTokens = (uint)promptTokens, CompletionTokens = (uint)router.Coordinator.Output.Length, TotalTokens = (uint)(promptTokens + router.Coordinator.Output.Length), CachedPromptTokens = 4 }, last.Usage);
        var request = router.Coordinator.LastRequest;
        Assert.Equal(['H', 'i'], request.PromptTokens);
        Assert.All(chunks, c => Assert.Equal(request.Label, c.RequestId));
        Assert.Equal(32, request.Label.Length);
        Assert.NotEqual(request.Label, request.Id.Value); // the made-up label is not the internal id
        Assert.Equal(40u, request.Stop.MaxTokens);
    }

    [Fact]
    public async Task Complete_TokenIdsWithLogprobsAndClientRequestId_ReturnsWholeOutput()
    {
        await using var router = await RouterHarness.StartAsync();
        var request = new GenerateRequest
        {
            TokenIds = new TokenIds { Ids = { 72, 105 } },
            Logprobs = true,
            RequestId = "client-id-1",
            Stop = new StopConditions { MaxTokens = 5 },
        };
        var response = await router.Grpc.CompleteAsync(request, router.KeyedOptions()).ResponseAsync;

        Assert.Equal("client-id-1", response.RequestId);
        Assert.Equal("Hello", response.Text);
        Assert.Equal("Hello"u8.ToArray().Select(b => (uint)b), response.TokenIds);
        Assert.Equal(FinishReason.Length, response.FinishReason);
        Assert.Equal([FakeCoordinator.LogprobOf(0), FakeCoordinator.LogprobOf(4)], new[] { response.Logprobs[0].Logprob, response.Logprobs[4].Logprob });
        Assert.Equal((uint)'H', response.Logprobs[0].TokenId);
        Assert.Equal(7u, response.Usage.TotalTokens);
        Assert.Equal([72, 105], router.Coordinator.LastRequest.PromptTokens);
    }

    [Fact]
    public async Task Complete_ChatPrompt_RendersTemplateWithGenerationPromptAndDefaultsMaxTokensToContextRemainder()
    {
        await using var router = await RouterHarness.StartAsync();
        var request = new GenerateRequest { Chat = new ChatPrompt { Messages = { new ChatMessage { Role = "user", Content = "Hi" } } } };
        var response = await router.Grpc.CompleteAsync(request, router.KeyedOptions()).ResponseAsync;

        var expected = TinyModel.Tokenizer.Encode("<|begin_of_text|>user: Hi\nassistant: ", addSpecialTokens: false, allowSpecialTokens: true);
        var sent = router.Coordinator.LastRequest;
        Assert.Equal(expected, sent.PromptTokens);
        Assert.Equal((uint)(TinyModel.ContextLength - expected.Length), sent.Stop.MaxTokens);
        Assert.Equal(router.Coordinator.Output, response.Text);
    }

    [Fact]
    public async Task Generate_StopStringAcrossTokens_CutsBeforeItAndEndsTheCoordinatorRun()
    {
        await using var router = await RouterHarness.StartAsync();
        var request = Text("x", maxTokens: 40);
        request.Stop.Stop.Add("world!");
        using var call = router.Grpc.Generate(request, router.KeyedOptions());
        var chunks = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal("Hello, ", string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
        Assert.Equal((uint)"Hello, world!".Length, chunks[^1].Usage.CompletionTokens);
        await router.Coordinator.EndedEarly.Task.WaitAsync(Bound);
        Assert.Empty(router.Coordinator.LastRequest.Stop.Stop);
    }

    [Fact]
    public async Task ListModels_ReturnsTheCatalog()
    {
        await using var router = await RouterHarness.StartAsync();
        var response = await router.Grpc.ListModelsAsync(new ListModelsRequest(), router.KeyedOptions()).ResponseAsync;
        var model = Assert.Single(response.Models);
        Assert.Equal(TinyModel.Id, model.Id);
        Assert.Equal((uint)TinyModel.ContextLength, model.MaxModelLength);
    }

    [Fact]
    public async Task Generate_ClientCancelsMidStream_CancelsTheCoordinatorRun()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.HangAfterTokens = 3;
        using var cts = new CancellationTokenSource();
        using var call = router.Grpc.Generate(Text("x", 40), router.KeyedOptions(cts.Token));
        Assert.True(await call.ResponseStream.MoveNext());
        await router.Coordinator.Hanging.Task.WaitAsync(Bound);
        await cts.CancelAsync();

        await router.Coordinator.Cancelled.Task.WaitAsync(Bound);
        await router.Coordinator.EndedEarly.Task.WaitAsync(Bound);
    }

    [Fact]
    public async Task Generate_DeadlinePasses_CancelsTheCoordinatorRun()
    {
        await using var router = await RouterHarness.StartAsync();
        router.Coordinator.HangAfterTokens = 0;
        // Connected first, so the deadline is spent in the coordinator run: one that passed while the first call was
        // still connecting (a loaded CI machine) would end the call before the router started a run to cancel.
        await router.Grpc.ListModelsAsync(new ListModelsRequest(), router.KeyedOptions());
        var options = router.KeyedOptions().WithDeadline(DateTime.UtcNow.AddSeconds(2));
        using var call = router.Grpc.Generate(Text("x", 40), options);
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.ReadAllAsync().ToListAsync());
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        await router.Coordinator.Cancelled.Task.WaitAsync(Bound);
    }
}
