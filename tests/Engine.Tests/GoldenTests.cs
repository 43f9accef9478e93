using Cluster.Core.Generation;
using Cluster.Engine.Generation;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Torch;

namespace Cluster.Engine.Tests;

/// <summary>
/// Greedy tokens and logits of the tiny models against tests/reference/llama_reference.py, an independent
/// float64 implementation that recomputes the whole sequence each step (so the KV-cache path is checked too).
/// </summary>
public sealed class GoldenTests : IClassFixture<TinyModelFixture>
{
    private static readonly int[] Prompt = [256, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100];
    private const int Steps = 24;
    private readonly TinyModelFixture _models;

    public GoldenTests(TinyModelFixture models) => _models = models;

    [Theory]
    [InlineData("tiny")]
    [InlineData("tiny-qwen2")]
    public void Forward_GreedyWithKvCache_MatchesReferenceTokensAndLogits(string preset)
    {
        var dir = preset == "tiny" ? _models.LlamaDir : _models.QwenDir;
        var expected = ReferenceRunner.Run(dir, Prompt, Steps);
        using var model = LlamaModel.Load(dir, Device.CPU, ScalarType.Float32);
        using var cache = model.CreateCache(1, Prompt.Length + Steps);
        var tokens = new List<int>();
        for (var step = 0; step < Steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            var fresh = step == 0;
            long[] ids = fresh ? Prompt.Select(t => (long)t).ToArray() : [tokens[^1]];
            var start = fresh ? 0 : Prompt.Length + step - 1;
            var input = torch.tensor(ids, [1, ids.Length]);
            var positions = torch.arange(start, start + ids.Length).view(1, ids.Length);
            var logits = model.Forward(input, positions, cache, fresh, lastOnly: true).view(-1).data<float>();
            var maxDiff = logits.Zip(expected.Logits[step]).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(maxDiff < 1e-4, $"{preset} step {step}: max |logit - reference| = {maxDiff}");
            tokens.Add(Array.IndexOf(logits, logits.Max()));
        }
        Assert.Equal(expected.Tokens, tokens);
    }

    [Fact]
    public void Generate_Greedy_MatchesReferenceTokens()
    {
        var expected = ReferenceRunner.Run(_models.LlamaDir, Prompt, Steps);
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        var result = new Generator(model).Generate(Prompt, new GenerationParameters { MaxTokens = Steps, IgnoreEos = true });
        Assert.Equal(expected.Tokens, result.Tokens);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.All(result.LogProbs, lp => Assert.InRange(lp, -50f, 0f));
    }
}
