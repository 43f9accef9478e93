using Cluster.Engine.Model;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

public sealed class PreemptionTests : IClassFixture<TinyModelFixture>
{
    private readonly TinyModelFixture _models;

    public PreemptionTests(TinyModelFixture models) => _models = models;

    [Fact]
    public void Generate_MoreSequencesThanBlocks_PreemptsEvictsAndStaysExact()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        // 12 blocks of 4 = 48 token slots for 6 requests of 14 … 27 prompt tokens + 12 outputs each.
        using var engine = NewEngine(model, blocks: 12, blockSize: 4, maxBatchTokens: 64);
        var prompts = Enumerable.Range(0, 6).Select(i => Prompt(14 + 3 * i, seed: 20 + i)).ToArray();
        var handles = prompts.Select((p, i) => engine.Submit(Id(i), p, Greedy(12))).ToArray();
        engine.RunUntilIdle();
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(Reference(model, prompts[i], 12), Tokens(handles[i]));
        }
        Assert.True(engine.Stats.Preemptions > 0, "the workload must not fit at once");
        Assert.Contains(engine.Kv.Pool.DrainEvents(), e => e is Cluster.Engine.KvCache.BlockRemovedEvent);
        Assert.Equal(0, engine.Stats.UsedBlocks);
        Assert.Equal(0, engine.Kv.SequenceCount);
    }
}
