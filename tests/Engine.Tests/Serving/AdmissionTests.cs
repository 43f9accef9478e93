using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

public sealed class AdmissionTests : IClassFixture<TinyModelFixture>
{
    private readonly TinyModelFixture _models;

    public AdmissionTests(TinyModelFixture models) => _models = models;

    [Fact]
    public void Submit_PromptLongerThanModel_ThrowsBeforeAnyWork()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32, maxPositions: 32);
        using var engine = NewEngine(model, blocks: 64, blockSize: 4);
        var error = Assert.Throws<ArgumentException>(() => engine.Submit(Id(0), Prompt(33, seed: 0), Greedy(1)));
        Assert.Contains("at most 32 positions", error.Message, StringComparison.Ordinal);
        Assert.False(engine.Step());
        Assert.Equal(0, engine.Stats.Steps);
    }

    [Fact]
    public void Submit_MoreKvThanTheCache_ThrowsNamingTheSetting()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 4, blockSize: 4);
        var error = Assert.Throws<ArgumentException>(() => engine.Submit(Id(0), Prompt(10, seed: 0), Greedy(8)));
        Assert.Contains("KvCache:MemoryFraction", error.Message, StringComparison.Ordinal);
        // 10 + 7 = 17 tokens need 5 blocks; 16 tokens fit exactly.
        engine.Submit(Id(1), Prompt(10, seed: 0), Greedy(7));
        engine.RunUntilIdle();
        Assert.Equal(0, engine.Stats.UsedBlocks);
    }

    [Fact]
    public void Submit_TokenOutsideVocabulary_ThrowsBeforeAnyWork()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 8);
        Assert.Throws<ArgumentException>(() => engine.Submit(Id(0), [1, 320], Greedy(2)));
        Assert.False(engine.Step());
    }

    [Fact]
    public async Task Submit_DecodeRole_ComputesThePromptLocallyAndFreesItsBlocks()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 8, role: EngineRoleNames.Decode);
        var handle = engine.Submit(Id(0), Prompt(3, seed: 0), Greedy(2));
        engine.RunUntilIdle();
        Assert.Equal(2, (await handle.Completion).Tokens.Count);
        Assert.Equal(0, engine.Stats.UsedBlocks);
    }

    [Fact]
    public void EngineOptions_UnknownRole_FailsAtConstruction()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        var error = Assert.Throws<ArgumentException>(() => NewEngine(model, blocks: 8, role: "both"));
        Assert.Contains("Engine:Role", error.Message, StringComparison.Ordinal);
    }
}
