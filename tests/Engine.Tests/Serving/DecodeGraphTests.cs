using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Torch;
using static Cluster.Engine.Tests.Serving.EngineHarness;

namespace Cluster.Engine.Tests.Serving;

/// <summary>
/// The CPU-checkable parts of the decode CUDA graphs: buckets, the fixed buffers' layout, the fallback decisions, and
/// the padded fixed-buffer forward pass run eagerly (the pass a graph captures), which must leave greedy outputs and
/// every real cache slot as the unpadded path does. Capture and replay themselves run on the GPU only
/// (tests/reference/run_cuda_graphs_gpu.sh).
/// </summary>
public sealed class DecodeGraphTests : IClassFixture<TinyModelFixture>
{
    private readonly TinyModelFixture _models;

    public DecodeGraphTests(TinyModelFixture models) => _models = models;

    [Fact]
    public void BucketsFor_PowersOfTwoToEightThenEveryEightToSixtyFourThenEveryThirtyTwo_EndingAtTheLargestStep()
    {
        Assert.Equal([1, 2, 4, 8, 16, 24, 32, 40, 48, 56, 64, 96, 128, 160, 192, 224, 256], DecodeGraphs.BucketsFor(256));
        Assert.Equal([1, 2, 4, 8, 16, 24, 32, 40, 48, 56, 64, 96, 100], DecodeGraphs.BucketsFor(100));
        Assert.Equal([1, 2, 3], DecodeGraphs.BucketsFor(3));
        Assert.Equal([1], DecodeGraphs.BucketsFor(1));
    }

    [Fact]
    public void WidthsFor_DoublesFromTheNarrowestToTheModelsLongestSequence()
    {
        Assert.Equal([32, 64, 128, 256], DecodeGraphs.WidthsFor(maxBlocks: 256, minBlocks: 32));   // 4,096 positions, blocks of 16
        Assert.Equal([32, 64, 129], DecodeGraphs.WidthsFor(maxBlocks: 129, minBlocks: 32));
        Assert.Equal([32, 100], DecodeGraphs.WidthsFor(maxBlocks: 100, minBlocks: 32));
        Assert.Equal([10], DecodeGraphs.WidthsFor(maxBlocks: 10, minBlocks: 32));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 4)]
    [InlineData(8, 8)]
    [InlineData(9, 16)]
    [InlineData(65, 96)]
    [InlineData(256, 256)]
    public void BucketOf_TakesTheSmallestBucketHoldingTheBatch(int count, int bucket) =>
        Assert.Equal(bucket, DecodeGraphs.BucketOf(DecodeGraphs.BucketsFor(256), count));

    [Fact]
    public void BucketOf_PastTheLargestBucket_IsNone() => Assert.Null(DecodeGraphs.BucketOf(DecodeGraphs.BucketsFor(256), 257));

    [Fact]
    public void Layout_TwoDecodesInABucketOfFour_WritesTheirRowsAndHarmlessPadding()
    {
        const int capacity = 8, maxBlocks = 3, blockSize = 4;
        const long scratch = 400;
        // Position 5 of a sequence in blocks [7, 2]; position 0 of one in block [9] (a stale longer table).
        PagedChunk[] decodes = [new([11], 5, [7, 2, 30]), new([12], 0, [9, 31])];
        var longs = Enumerable.Repeat(-1L, 3 * capacity).ToArray();
        var ints = Enumerable.Repeat(-1, capacity + capacity * maxBlocks).ToArray();
        FixedDecodeInputs.Layout(decodes, bucket: 4, width: maxBlocks, capacity, blockSize, scratch, longs, ints);

        Assert.Equal([11, 12, 0, 0], longs[..4]);                                  // tokens
        Assert.Equal([5, 0, 0, 0], longs[capacity..(capacity + 4)]);                // positions
        Assert.Equal([2 * 4 + 1, 9 * 4, scratch, scratch], longs[(2 * capacity)..(2 * capacity + 4)]);   // slots
        Assert.Equal([6, 1, 0, 0], ints[..4]);                                      // lengths: position + 1; padding 0
        Assert.Equal([7, 2, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0], ints[capacity..(capacity + 4 * maxBlocks)]);   // tables [4, M]
        Assert.Equal(-1, ints[capacity + 4 * maxBlocks]);                           // rows past the bucket untouched

        FixedDecodeInputs.Layout(decodes, bucket: 2, width: 2, capacity, blockSize, scratch, longs, ints);
        Assert.Equal([7, 2, 9, 0], ints[capacity..(capacity + 2 * 2)]);             // a narrower width: row stride 2
    }

    [Fact]
    public void Choose_EachFallback_RunsEagerlyForItsReason()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32, maxPositions: 64);
        using var storage = PagedKvStorage.Allocate(model.Config, new KvCacheOptions { BlockSize = 4, NumBlocks = 64 }, model.DType, model.Device);
        using var graphs = new DecodeGraphs(model, storage, maxBatch: 4);
        PagedChunk Decode(int position) => new([1], position, [.. Enumerable.Range(0, position / 4 + 1)]);
        PagedChunk[] two = [Decode(3), Decode(9)];
        graphs.SetMinWidth(4);
        const PagedAttentionMode kernel = PagedAttentionMode.DecodeKernel;
        Assert.Equal(16, graphs.MaxBlocks);
        Assert.Equal([4, 8, 16], graphs.Widths);

        graphs.Mode = DecodeGraphMode.Off;
        Assert.Equal(DecodePath.Off, graphs.Choose(two, kernel, observed: false, out _));
        graphs.Mode = DecodeGraphMode.On;
        Assert.Equal(DecodePath.NotCuda, graphs.Choose(two, kernel, observed: false, out _));
        graphs.Mode = DecodeGraphMode.PaddedEager;
        Assert.Equal(DecodePath.NotDecodeKernel, graphs.Choose(two, PagedAttentionMode.Varlen, observed: false, out _));
        Assert.Equal(DecodePath.LayerObserver, graphs.Choose(two, kernel, observed: true, out _));
        Assert.Equal(DecodePath.NotDecodeOnly, graphs.Choose([Decode(3), new([1, 2, 3], 0, [0])], kernel, observed: false, out _));   // mixed
        Assert.Equal(DecodePath.NotDecodeOnly, graphs.Choose([Decode(64)], kernel, observed: false, out _));   // past the tables' 16 blocks
        Assert.Equal(DecodePath.OutsideBuckets, graphs.Choose([.. Enumerable.Range(0, 5).Select(_ => Decode(3))], kernel, observed: false, out _));
        Assert.Equal(DecodePath.PaddedEager, graphs.Choose([Decode(3), Decode(9), Decode(1)], kernel, observed: false, out var shape));
        Assert.Equal(new DecodeShape(4, 4), shape);                                 // 3 rows → 4; position 9 → 3 blocks → width 4
        Assert.Equal(DecodePath.PaddedEager, graphs.Choose([Decode(40)], kernel, observed: false, out shape));
        Assert.Equal(new DecodeShape(1, 16), shape);                                // 11 blocks → width 16
    }

    [Fact]
    public void PaddedForward_OneDecodeInABucketOfFour_WritesOnlyItsSlotAndTheScratchBlock()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32, maxPositions: 64);
        using var storage = PagedKvStorage.Allocate(model.Config, new KvCacheOptions { BlockSize = 4, NumBlocks = 8 }, model.DType, model.Device);
        var prompt = Prompt(6, seed: 3);
        using (var prefill = PagedAttentionBatch.Create([new PagedChunk(prompt, 0, [5, 1])], 4, model.Device, PagedAttentionMode.DecodeKernel))
        using (model.ForwardPaged(prefill, storage)) { }
        var before = storage.SlotKeys(0).data<float>();
        var expected = DecodeLogits(model, storage, new PagedChunk([42], 6, [5, 1]), padded: false);

        var logits = DecodeLogits(model, storage, new PagedChunk([42], 6, [5, 1]), padded: true);

        var after = storage.SlotKeys(0).data<float>();
        var width = model.Config.NumKvHeads * model.Config.HeadDim;
        long written = 1 * 4 + 2;   // position 6: block 1, offset 2
        for (long slot = 0; slot < storage.ScratchSlot; slot++)
        {
            if (slot == written) continue;
            Assert.True(before.AsSpan((int)(slot * width), width).SequenceEqual(after.AsSpan((int)(slot * width), width)), $"slot {slot} changed");
        }
        Assert.False(after.AsSpan((int)(storage.ScratchSlot * width), width).SequenceEqual(before.AsSpan((int)(storage.ScratchSlot * width), width)),
            "the padded rows did not write the scratch slot");
        Assert.Equal(expected.Length, logits.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], logits[i], 1e-4f);
    }

    [Theory]
    [InlineData(2048)]   // prompts in one step, then decode-only steps of 8, 7, … 1 decodes (padded to 8, 8, 8, 8, 4, 4, 2, 1)
    [InlineData(24)]     // chunked prefill: mixed steps stay eager
    public void Generate_PaddedFixedBuffersEagerly_EqualsUnpaddedGreedy(int maxBatchTokens)
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        int[] lengths = [1, 5, 17, 33, 9, 3, 16, 48];
        var prompts = lengths.Select((n, i) => Prompt(n, seed: i)).ToArray();
        var eager = Run(model, prompts, maxBatchTokens, DecodeGraphMode.Off, out var eagerProfile);
        var padded = Run(model, prompts, maxBatchTokens, DecodeGraphMode.PaddedEager, out var paddedProfile, minWidth: 2);   // widths 2, 4, 8, 16, …

        for (var i = 0; i < prompts.Length; i++) Assert.Equal(eager[i], padded[i]);
        Assert.Equal(0, eagerProfile.PaddedSteps);
        Assert.True(eagerProfile.EagerDecodeSteps > 0);
        Assert.True(paddedProfile.PaddedSteps > 0, "no step ran padded");
        Assert.True(paddedProfile.PaddedRows > 0, "no step had padding rows");
        Assert.Equal(0, paddedProfile.EagerDecodeSteps);
        Assert.Equal(0, paddedProfile.GraphSteps);
    }

    [Fact]
    public void Generate_SeededSamplingWithPenaltiesFromPaddedLogits_EqualsUnpadded()
    {
        using var model = LlamaModel.Load(_models.QwenDir, Device.CPU, ScalarType.Float32);
        var parameters = new Cluster.Core.Generation.GenerationParameters
        {
            MaxTokens = 12, Temperature = 0.9, TopP = 0.95, RepetitionPenalty = 1.2, FrequencyPenalty = 0.3, Seed = 5, IgnoreEos = true,
        };
        var prompts = new[] { Prompt(9, seed: 1), Prompt(30, seed: 2), Prompt(3, seed: 3) };
        IReadOnlyList<int>[] Sample(DecodeGraphMode mode, out long padded)
        {
            using var engine = NewEngine(model, blocks: 128, blockSize: 4);
            engine.AttentionMode = PagedAttentionMode.DecodeKernel;
            engine.DecodeGraphs = mode;
            var handles = prompts.Select((p, i) => engine.Submit(Id(i), p, parameters)).ToArray();
            engine.RunUntilIdle();
            padded = engine.Profile.PaddedSteps;
            return [.. handles.Select(Tokens)];
        }

        var eager = Sample(DecodeGraphMode.Off, out _);
        var fromPadded = Sample(DecodeGraphMode.PaddedEager, out var paddedSteps);
        Assert.Equal(11, paddedSteps);   // 11 decode-only steps of 3 decodes, padded to 4
        for (var i = 0; i < prompts.Length; i++) Assert.Equal(eager[i], fromPadded[i]);
    }

    [Fact]
    public void Options_CudaGraphsDefaultOnAndFalseOff_OnTheCpuEveryStepRunsEagerly()
    {
        using var model = LlamaModel.Load(_models.LlamaDir, Device.CPU, ScalarType.Float32);
        var kv = new KvCacheOptions { BlockSize = 4, NumBlocks = 64 };
        using var off = new InferenceEngine(model, EngineHarness.Model, new EngineOptions { CudaGraphs = false }, kv);
        Assert.Equal(DecodeGraphMode.Off, off.DecodeGraphs);
        using var on = new InferenceEngine(model, EngineHarness.Model, new EngineOptions { MaxSequences = 40 }, kv);
        Assert.Equal(DecodeGraphMode.On, on.DecodeGraphs);
        Assert.Equal(40, on.DecodeGraphBuckets[^1]);
        var handle = on.Submit(Id(0), Prompt(5, seed: 1), Greedy(4));
        on.RunUntilIdle();
        Assert.Equal(Reference(model, Prompt(5, seed: 1), 4), Tokens(handle));
        Assert.Equal(3, on.Profile.EagerDecodeSteps);
        Assert.Equal(0, on.Profile.PaddedSteps);
        Assert.Null(on.DecodeGraphStatus);   // nothing tried off CUDA
    }

    private static IReadOnlyList<int>[] Run(LlamaModel model, int[][] prompts, int maxBatchTokens, DecodeGraphMode mode, out StepProfile profile, int? minWidth = null)
    {
        using var engine = NewEngine(model, blocks: 256, blockSize: 4, maxBatchTokens);
        engine.AttentionMode = PagedAttentionMode.DecodeKernel;
        engine.DecodeGraphs = mode;
        if (minWidth is { } w) engine.Graphs.SetMinWidth(w);
        var handles = prompts.Select((p, i) => engine.Submit(Id(i), p, Greedy(4 + i))).ToArray();
        engine.RunUntilIdle();
        profile = engine.Profile;
        return [.. handles.Select(Tokens)];
    }

    private static float[] DecodeLogits(LlamaModel model, PagedKvStorage storage, PagedChunk decode, bool padded)
    {
        using var scope = torch.NewDisposeScope();
        if (!padded)
        {
            using var batch = PagedAttentionBatch.Create([decode], 4, model.Device, PagedAttentionMode.DecodeKernel);
            return model.ForwardPaged(batch, storage).data<float>();
        }
        using var inputs = new FixedDecodeInputs(capacity: 8, maxBlocks: 16, blockSize: 4, storage.ScratchSlot, model.Device);
        inputs.Write([decode], bucket: 4, width: 2);
        using var fixedBatch = inputs.Batch(4, 2);
        return model.ForwardPaged(fixedBatch, storage).narrow(0, 0, 1).data<float>();
    }
}
