using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

public sealed class PrefixCacheTests : IClassFixture<TinyModelFixture>
{
    private readonly TinyModelFixture _models;

    public PrefixCacheTests(TinyModelFixture models) => _models = models;

    [Fact]
    public void Generate_RepeatedPrompt_SkipsCachedBlocksAndYieldsTheSameTokens()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 64, blockSize: 4);
        var prompt = Prompt(40, seed: 7);
        var first = engine.Submit(Id(0), prompt, Greedy(6));
        engine.RunUntilIdle();
        var before = engine.Stats;
        var second = engine.Submit(Id(1), prompt, Greedy(6));
        engine.RunUntilIdle();
        var after = engine.Stats;

        // 9 full blocks (36 tokens) are reused; one prompt token is always computed for its logits.
        Assert.Equal(36, after.CachedPromptTokens - before.CachedPromptTokens);
        Assert.Equal(40 - 36 + 5, after.ComputedTokens - before.ComputedTokens);
        Assert.Equal(40 + 5, before.ComputedTokens);
        Assert.Equal(Tokens(first), Tokens(second));
        Assert.Equal(Reference(model, prompt, 6), Tokens(second));
    }

    [Fact]
    public void Generate_SharedPrefixDifferentTails_ReusesOnlyTheCommonBlocks()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 64, blockSize: 4);
        var system = Prompt(22, seed: 3);                          // 5 full blocks + 2 tokens
        int[] a = [.. system, .. Prompt(9, seed: 4)], b = [.. system, .. Prompt(13, seed: 5)];
        engine.Submit(Id(0), a, Greedy(4));
        engine.RunUntilIdle();
        var before = engine.Stats;
        var hb = engine.Submit(Id(1), b, Greedy(4));
        engine.RunUntilIdle();
        Assert.Equal(20, engine.Stats.CachedPromptTokens - before.CachedPromptTokens);
        Assert.Equal(Reference(model, b, 4), Tokens(hb));
    }

    [Fact]
    public void Commit_FullBlocks_PublishesGaplessStoredEvents()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 64, blockSize: 4);
        engine.Submit(Id(0), Prompt(10, seed: 1), Greedy(3));
        engine.RunUntilIdle();
        var events = engine.DrainKvEvents();
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        // 10 prompt + 2 fed-back outputs = 12 tokens with KV: 3 full blocks stored.
        Assert.Equal(3, events.OfType<BlockStoredEvent>().Sum(e => e.Hashes.Count));
        var (hashes, last) = engine.KvCacheSnapshot();
        Assert.Equal(events.OfType<BlockStoredEvent>().SelectMany(e => e.Hashes).ToHashSet(), hashes.ToHashSet());
        Assert.Equal(events[^1].Sequence, last);
        Assert.Empty(engine.DrainKvEvents());
    }
}
