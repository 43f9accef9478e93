using Cluster.Contracts.V1;
using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary>Greedy output through router → prefill → KV transfer → decode equals single-process generation, token for token.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GoldenTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Generate_ConcurrentMixedLengthPrompts_EqualSingleProcessGreedy()
    {
        using var cts = Deadline.ForTest();
        (int Length, int MaxTokens)[] shapes = [(1, 12), (7, 20), (16, 9), (33, 24), (64, 16), (95, 31), (150, 8), (200, 20)];
        var prompts = shapes.Select((s, i) => (Prompt: Prompts.Make(1000 + i, s.Length), s.MaxTokens)).ToArray();
        var expected = prompts.Select(p => fixture.Golden.Greedy(p.Prompt, p.MaxTokens)).ToArray();

        var outputs = await Task.WhenAll(prompts.Select(p => fixture.Calls.GenerateAsync(fixture.Calls.Greedy(p.Prompt, p.MaxTokens), cts.Token)));

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected[i], outputs[i].Tokens);
            Assert.Equal(expected[i].Count == prompts[i].MaxTokens ? FinishReason.Length : FinishReason.Stop, outputs[i].Finish);
            Assert.NotNull(outputs[i].Usage);
            Assert.Equal((uint)prompts[i].Prompt.Length, outputs[i].Usage!.PromptTokens);
            Assert.Equal((uint)expected[i].Count, outputs[i].Usage!.CompletionTokens);
        }
    }

    [Fact]
    public async Task Generate_LongPrompt_EqualsSingleProcessGreedy()
    {
        using var cts = Deadline.ForTest();
        var prompt = Prompts.Make(2000, 700);
        var expected = fixture.Golden.Greedy(prompt, 40, ignoreEos: true);

        var output = await fixture.Calls.GenerateAsync(fixture.Calls.Greedy(prompt, 40, ignoreEos: true), cts.Token);

        Assert.Equal(expected, output.Tokens);
        Assert.Equal(FinishReason.Length, output.Finish);
    }
}
