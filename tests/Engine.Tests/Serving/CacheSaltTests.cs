using Cluster.Core.Hashing;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

/// <summary>The prefix cache is keyed by the salted block hash of ARCHITECTURE §5: blocks are shared only between equal salts.</summary>
public sealed class CacheSaltTests : IClassFixture<TinyModelFixture>
{
    private readonly TinyModelFixture _models;

    public CacheSaltTests(TinyModelFixture models) => _models = models;

    [Fact]
    public void Submit_SameSaltAgain_ReusesTheCachedBlocks()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 64, blockSize: 4);
        var prompt = Prompt(22, seed: 11);
        var first = engine.Submit(Salted(0, prompt, "tenant-a"));
        engine.RunUntilIdle();
        var second = engine.Submit(Salted(1, prompt, "tenant-a"));
        engine.RunUntilIdle();

        Assert.Equal(0, first.CachedPromptTokens);
        Assert.Equal(20, second.CachedPromptTokens);   // 5 full blocks; the last prompt token is always computed
        Assert.Equal(Tokens(first), Tokens(second));
    }

    [Theory]
    [InlineData("tenant-a", "tenant-b")]
    [InlineData("tenant-a", "")]
    [InlineData("", "tenant-b")]
    public void Submit_DifferentSalt_FindsNothingCached(string firstSalt, string secondSalt)
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 64, blockSize: 4);
        var prompt = Prompt(22, seed: 11);
        engine.Submit(Salted(0, prompt, firstSalt));
        engine.RunUntilIdle();
        var before = engine.Stats;
        var second = engine.Submit(Salted(1, prompt, secondSalt));
        engine.RunUntilIdle();

        Assert.Equal(0, second.CachedPromptTokens);
        Assert.Equal(0, engine.Stats.CachedPromptTokens - before.CachedPromptTokens);
        Assert.Equal(22 + 2, engine.Stats.ComputedTokens - before.ComputedTokens);   // the whole prompt and the fed-back output
        Assert.Equal(Reference(model, prompt, 3), Tokens(second));
    }

    [Fact]
    public void Events_SaltedPrompt_CarryTheHashesBlockHasherGivesForThatSalt()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var engine = NewEngine(model, blocks: 64, blockSize: 4);
        var prompt = Prompt(13, seed: 2);
        engine.Submit(Salted(0, prompt, "tenant-a"));
        engine.RunUntilIdle();

        var stored = engine.DrainKvEvents().OfType<BlockStoredEvent>().SelectMany(e => e.Hashes).ToList();
        var expected = new BlockHasher(EngineHarness.Model, 4, "tenant-a").HashBlocks(prompt);
        Assert.Equal(expected, stored);   // 13 prompt + 2 fed back = 15 tokens: 3 full blocks, all prompt
        Assert.Empty(new BlockHasher(EngineHarness.Model, 4).HashBlocks(prompt).Intersect(stored));
    }

    [Fact]
    public void SubmitImported_Salted_CachesTheImportedBlocksUnderTheSalt()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var prefill = NewEngine(model, blocks: 32, blockSize: 4, role: EngineRoleNames.Prefill);
        using var decode = NewEngine(model, blocks: 32, blockSize: 4, role: EngineRoleNames.Decode);
        var prompt = Prompt(17, seed: 5);
        var first = prefill.Submit(Salted(0, prompt, "tenant-a"));
        prefill.RunUntilIdle();
        var layout = prefill.Storage.Layout;
        var blocks = decode.Import.TryReserve(Id(0), prompt.Length)!.Value;
        var bytes = new byte[layout.RangeBytes(layout.Layers, blocks)];
        prefill.ExportKv(Id(0), 0, layout.Layers, 0, blocks, bytes);
        decode.Import.Write(Id(0), 0, layout.Layers, 0, blocks, bytes);
        prefill.ReleaseKv(Id(0));

        var rest = decode.SubmitImported(Salted(0, prompt, "tenant-a") with { Generated = [Assert.Single(Tokens(first))] });
        decode.RunUntilIdle();
        Assert.Equal(Reference(model, prompt, 3), Tokens(rest));
        var (cached, _) = decode.KvCacheSnapshot();
        Assert.Superset(new HashSet<BlockHash>(new BlockHasher(EngineHarness.Model, 4, "tenant-a").HashBlocks(prompt)), new HashSet<BlockHash>(cached));

        var other = decode.Submit(Salted(1, prompt, "tenant-b"));
        var same = decode.Submit(Salted(2, prompt, "tenant-a"));
        decode.RunUntilIdle();
        Assert.Equal(0, other.CachedPromptTokens);
        Assert.Equal(16, same.CachedPromptTokens);
    }

    private static EngineRequest Salted(int id, int[] prompt, string salt) => new(Id(id), prompt, Greedy(3)) { CacheSalt = salt };
}
