using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

/// <summary>
/// Decode-side prefix reuse: a reservation made with its token ids pins the leading blocks the decode engine's prefix
/// cache holds under the same salt; only the rest is written, and decoding equals an uninterrupted run.
/// </summary>
public sealed class DecodePrefixReuseTests : IClassFixture<TinyModelFixture>
{
    private readonly TinyModelFixture _models;

    public DecodePrefixReuseTests(TinyModelFixture models) => _models = models;

    [Fact]
    public void Reserve_WithTokenIds_PinsTheCachedPrefix_OnlyTheSuffixIsWritten_DecodeEqualsReference()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var prefill = NewEngine(model, blocks: 64, blockSize: 4, role: EngineRoleNames.Prefill);
        using var decode = NewEngine(model, blocks: 64, blockSize: 4, role: EngineRoleNames.Decode);
        var shared = Prompt(20, seed: 11);
        var first = shared.Concat(Prompt(6, seed: 12)).ToArray();
        var second = shared.Concat(Prompt(9, seed: 13)).ToArray();

        // The first request's KV is transferred whole; once it decodes, its full blocks are in D's prefix cache.
        var layout = decode.Storage.Layout;
        Assert.Equal(layout.RangeBytes(layout.Layers, 7), Transfer(model, prefill, decode, 0, first, salt: "", expectCachedBlocks: 0));

        // The second (29 tokens, 8 blocks) shares 20 tokens = 5 blocks of 4 with it: D pins them and receives the other 3.
        var written = Transfer(model, prefill, decode, 1, second, salt: "", expectCachedBlocks: 5);
        Assert.Equal(layout.RangeBytes(layout.Layers, 8 - 5), written);

        // Another salt never shares blocks.
        Assert.Equal(layout.RangeBytes(layout.Layers, 8), Transfer(model, prefill, decode, 2, second, salt: "tenant-b", expectCachedBlocks: 0));
        Assert.Equal(0, decode.Stats.UsedBlocks);
    }

    [Fact]
    public void CachedBlocks_AreReadOnly_AndTheRequestMustDecodeTheReservedTokens()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        using var prefill = NewEngine(model, blocks: 64, blockSize: 4, role: EngineRoleNames.Prefill);
        using var decode = NewEngine(model, blocks: 64, blockSize: 4, role: EngineRoleNames.Decode);
        var prompt = Prompt(16, seed: 21);
        Transfer(model, prefill, decode, 0, prompt, salt: "", expectCachedBlocks: 0);

        var grant = decode.Import.TryReserve(Id(1), 16, prompt, "")!;
        Assert.Equal(4, grant.CachedBlocks);   // every block of the prompt is cached: nothing to push
        var bytes = new byte[decode.Storage.Layout.RangeBytes(1, 1)];
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => decode.Import.Write(Id(1), 0, 1, 0, 1, bytes));
        Assert.Contains("prefix cache", refused.Message);

        var other = (int[])prompt.Clone();
        other[^1] = (other[^1] + 1) % 256;
        var mismatch = Assert.Throws<InvalidOperationException>(() => decode.SubmitImported(Id(1), other, 5, Greedy(4)));
        Assert.Contains("other tokens", mismatch.Message);
        decode.Import.Release(Id(1));
        Assert.Equal(0, decode.Stats.UsedBlocks);
    }

    // Prefills `prompt` on P, reserves on D with the prompt's ids, writes every block D does not hold, decodes on D and
    // checks the output against the reference. Returns the bytes written into D.
    private static long Transfer(LlamaModel model, InferenceEngine prefill, InferenceEngine decode, int i, int[] prompt, string salt, int expectCachedBlocks)
    {
        var first = prefill.Submit(new EngineRequest(Id(i), prompt, Greedy(6)) { CacheSalt = salt });
        prefill.RunUntilIdle();
        var firstToken = Assert.Single(Tokens(first));
        var layout = decode.Storage.Layout;
        var grant = decode.Import.TryReserve(Id(i), prompt.Length, prompt, salt)!;
        Assert.Equal(expectCachedBlocks, grant.CachedBlocks);
        long written = 0;
        var count = grant.Blocks - grant.CachedBlocks;
        if (count > 0)
        {
            var bytes = new byte[layout.RangeBytes(layout.Layers, count)];
            prefill.ExportKv(Id(i), 0, layout.Layers, grant.CachedBlocks, count, bytes);
            decode.Import.Write(Id(i), 0, layout.Layers, grant.CachedBlocks, count, bytes);
            written = bytes.Length;
        }
        prefill.ReleaseKv(Id(i));
        var rest = decode.SubmitImported(new EngineRequest(Id(i), prompt, Greedy(6)) { Generated = [firstToken], CacheSalt = salt });
        decode.RunUntilIdle();
        Assert.Equal(Reference(model, prompt, 6), Tokens(rest));
        return written;
    }
}
