using Cluster.Contracts.V1;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>Reserve → Prefill (KV pushed over real h2c) → Decode across two in-process hosts, against single-engine generation.</summary>
public sealed class DisaggregatedDecodeTests(WorkerPair pair) : IClassFixture<WorkerPair>
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(17)]
    [InlineData(61)]
    public async Task ReservePrefillDecode_GreedyTokens_EqualSingleEngineGeneration(int promptLength)
    {
        var prompt = TinyModel.Prompt(promptLength, seed: promptLength);
        var id = $"disagg-{promptLength}";
        var expected = pair.Model.Greedy(prompt, 12);

        var (ticket, first) = await Calls.PrefillToAsync(pair.Prefill, pair.Decode, id, prompt);
        var messages = await Calls.ReadAllAsync(pair.Decode, Calls.Decode(id, prompt, [(int)first.FirstTokenId], 12, ticket));

        Assert.Equal(expected[0], (int)first.FirstTokenId);
        Assert.True(first.TransferredBytes > 0);
        Assert.Equal((uint)promptLength, first.ComputedTokens + first.CachedTokens);
        Assert.Equal(expected.Skip(1), Calls.Tokens(messages));
        Assert.Equal(FinishReason.Length, messages[^1].FinishReason);
        Assert.All(messages.SkipLast(1), m => Assert.Equal(FinishReason.Unspecified, m.FinishReason));
        await pair.Decode.WaitAllBlocksFreeAsync();
        await pair.Prefill.WaitAllBlocksFreeAsync();
    }

    [Fact]
    public async Task ConcurrentRequests_BatchedOnBothWorkers_EachEqualsSingleEngineGeneration()
    {
        var prompts = Enumerable.Range(0, 6).Select(i => TinyModel.Prompt(3 + (7 * i), seed: 200 + i)).ToArray();

        var outputs = await Task.WhenAll(prompts.Select(async (prompt, i) =>
        {
            var id = $"concurrent-{i}";
            var (ticket, first) = await Calls.PrefillToAsync(pair.Prefill, pair.Decode, id, prompt);
            var messages = await Calls.ReadAllAsync(pair.Decode, Calls.Decode(id, prompt, [(int)first.FirstTokenId], 10, ticket));
            return (IReadOnlyList<int>)[(int)first.FirstTokenId, .. Calls.Tokens(messages)];
        }));

        for (var i = 0; i < prompts.Length; i++) Assert.Equal(pair.Model.Greedy(prompts[i], 10), outputs[i]);
        await pair.Decode.WaitAllBlocksFreeAsync();
    }

    [Fact]
    public async Task Decode_WithLogprobs_StreamsOneFiniteLogprobPerNewToken()
    {
        var prompt = TinyModel.Prompt(9, seed: 5);
        var (ticket, first) = await Calls.PrefillToAsync(pair.Prefill, pair.Decode, "logprobs", prompt);

        var messages = await Calls.ReadAllAsync(pair.Decode, Calls.Decode("logprobs", prompt, [(int)first.FirstTokenId], 6, ticket, logprobs: true));

        var logprobs = messages.SelectMany(m => m.Logprobs).ToList();
        Assert.Equal(Calls.Tokens(messages), logprobs.Select(l => (int)l.TokenId));
        Assert.Equal(5, logprobs.Count);
        Assert.All(logprobs, l => Assert.True(float.IsFinite(l.Logprob) && l.Logprob <= 0));
        Assert.True(float.IsFinite(first.FirstTokenLogprob) && first.FirstTokenLogprob <= 0);
    }

    [Fact]
    public async Task Decode_MaxTokensOne_SendsOnlyTheFinishReason()
    {
        var prompt = TinyModel.Prompt(6, seed: 6);
        var (ticket, first) = await Calls.PrefillToAsync(pair.Prefill, pair.Decode, "one", prompt);

        var messages = await Calls.ReadAllAsync(pair.Decode, Calls.Decode("one", prompt, [(int)first.FirstTokenId], 1, ticket));

        Assert.Empty(Calls.Tokens(messages));
        Assert.Equal(FinishReason.Length, Assert.Single(messages).FinishReason);
        await pair.Decode.WaitAllBlocksFreeAsync();
    }

    [Fact]
    public async Task Prefill_WithoutDecodeEndpoint_AnswersFirstTokenAndKeepsNoKv()
    {
        var prompt = TinyModel.Prompt(10, seed: 10);
        var request = new PrefillRequest { RequestId = "no-push", Model = TinyModel.Id };
        request.PromptTokenIds.Add(prompt.Select(t => (uint)t));

        var first = await pair.Prefill.Client.PrefillAsync(request, pair.Prefill.Options());

        Assert.Equal(pair.Model.Greedy(prompt, 1)[0], (int)first.FirstTokenId);
        Assert.Equal(0UL, first.TransferredBytes);
        await pair.Prefill.WaitAllBlocksFreeAsync();
    }
}
