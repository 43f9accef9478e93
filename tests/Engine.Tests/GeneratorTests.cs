using Cluster.Core.Generation;
using Cluster.Engine.Generation;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Synthetic;
using Cluster.Engine.Text;
using Cluster.Torch;

namespace Cluster.Engine.Tests;

public sealed class GeneratorTests : IClassFixture<TinyModelFixture>
{
    private readonly TinyModelFixture _models;

    public GeneratorTests(TinyModelFixture models) => _models = models;

    [Fact]
    public void Generate_StopTokenId_StopsAfterEmittingIt()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        var generator = new Generator(model);
        int[] prompt = [256, 65, 66];
        var free = generator.Generate(prompt, new GenerationParameters { MaxTokens = 8, IgnoreEos = true });
        var stopAt = free.Tokens[3];
        var stopped = generator.Generate(prompt, new GenerationParameters { MaxTokens = 8, IgnoreEos = true, StopTokenIds = [stopAt] });
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(free.Tokens.Take(free.Tokens.ToList().IndexOf(stopAt) + 1), stopped.Tokens);
    }

    [Fact]
    public void Generate_SeededSampling_IsReproducible()
    {
        using var model = LlamaModel.Load(_models.QwenDir, Device.CPU, ScalarType.Float32);
        var generator = new Generator(model);
        var p = new GenerationParameters { MaxTokens = 12, Temperature = 0.9, TopP = 0.95, Seed = 11, IgnoreEos = true };
        var a = generator.Generate([256, 1, 2], p);
        var b = generator.Generate([256, 1, 2], p);
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(12, a.Tokens.Count);
    }

    [Fact]
    public void Generate_EmptyPrompt_Throws()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        Assert.Throws<ArgumentException>(() => new Generator(model).Generate([], new GenerationParameters()));
    }

    [Fact]
    public void ByteLevelTokenizer_RoundTripsUtf8AndNamesSpecials()
    {
        var tokenizer = new ByteLevelTokenizer(_models.LlamaDir);
        var ids = tokenizer.Encode("héllo ✓");
        Assert.Equal(10, ids.Count);   // UTF-8 bytes
        Assert.Equal("héllo ✓", tokenizer.Decode(ids));
        Assert.Equal("<|end_of_text|>", tokenizer.Decode([ModelPresets.EosId]));
    }
}
