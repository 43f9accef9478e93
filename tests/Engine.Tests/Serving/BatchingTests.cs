using Cluster.Core.Generation;
using Cluster.Engine.Model;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

public sealed class BatchingTests : IClassFixture<TinyModelFixture>
{
    private readonly TinyModelFixture _models;

    public BatchingTests(TinyModelFixture models) => _models = models;

    [Theory]
    [InlineData(2048, 4, PagedAttentionMode.Varlen)]   // every prompt in one step: packed variable-length prefill
    [InlineData(24, 4, PagedAttentionMode.Varlen)]     // chunked prefill piggybacking decodes
    [InlineData(7, 16, PagedAttentionMode.Varlen)]     // chunks smaller than a block
    [InlineData(2048, 4, PagedAttentionMode.Padded)]
    [InlineData(24, 4, PagedAttentionMode.Padded)]
    [InlineData(7, 16, PagedAttentionMode.Padded)]
    public void Generate_MixedPromptLengthsBatchedPagedChunked_EqualsSingleSequence(int maxBatchTokens, int blockSize, PagedAttentionMode mode)
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 256, blockSize, maxBatchTokens);
        engine.AttentionMode = mode;
        int[] lengths = [1, 5, 17, 33, 70, 3, 16, 48];
        var prompts = lengths.Select((n, i) => Prompt(n, seed: i)).ToArray();
        var handles = prompts.Select((p, i) => engine.Submit(Id(i), p, Greedy(10))).ToArray();
        engine.RunUntilIdle();
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(Reference(model, prompts[i], 10), Tokens(handles[i]));
        }
        Assert.Equal(0, engine.Stats.UsedBlocks);
        Assert.Equal(lengths.Sum() + lengths.Length * 9, engine.Stats.ComputedTokens);
        Assert.Equal(engine.Stats.Steps, engine.Profile.Steps);
        Assert.Equal(engine.Stats.ComputedTokens, engine.Profile.Tokens);
    }

    [Fact]
    public void Generate_SeededSamplingWithPenalties_EqualsSingleSequence()
    {
        using var model = LlamaModel.Load(_models.QwenDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 128, blockSize: 4, maxBatchTokens: 16);
        var parameters = new GenerationParameters
        {
            MaxTokens = 12, Temperature = 0.9, TopP = 0.95, RepetitionPenalty = 1.2, FrequencyPenalty = 0.3, Seed = 5, IgnoreEos = true,
        };
        var prompts = new[] { Prompt(9, seed: 1), Prompt(30, seed: 2), Prompt(3, seed: 3) };
        var handles = prompts.Select((p, i) => engine.Submit(Id(i), p, parameters)).ToArray();
        engine.RunUntilIdle();
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(new Cluster.Engine.Generation.Generator(model).Generate(prompts[i], parameters).Tokens, Tokens(handles[i]));
        }
    }
}
