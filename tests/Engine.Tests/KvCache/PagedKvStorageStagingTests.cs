using Cluster.Engine.KvCache;
using Cluster.Engine.Synthetic;
using Cluster.Torch;

namespace Cluster.Engine.Tests.KvCache;

/// <summary>Export and import through host staging (pinned on CUDA; plain memory here): bit-exact, in pieces, bounded.</summary>
public sealed class PagedKvStorageStagingTests
{
    private static PagedKvStorage Storage(int blocks, ScalarType dtype = ScalarType.BFloat16) =>
        PagedKvStorage.Allocate(ModelPresets.Get("tiny"), new KvCacheOptions { BlockSize = 4, NumBlocks = blocks }, dtype, Device.CPU);

    // Random bf16 bit patterns taken from random floats (finite, never all zero).
    private static byte[] RandomBf16(long length, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[length];
        for (var i = 0; i < length; i += 2)
        {
            var bits = BitConverter.SingleToInt32Bits((float)(random.NextDouble() * 2 - 1));
            bytes[i] = (byte)(bits >> 16);
            bytes[i + 1] = (byte)(bits >> 24);
        }
        return bytes;
    }

    [Theory]
    [InlineData(1)]   // staging of one block of one layer: every block of every layer is a piece
    [InlineData(3)]   // three blocks: runs of blocks within a layer
    [InlineData(8)]   // one layer's five blocks fit, two layers do not: a layer at a time
    public void SpanExportAndImport_InPiecesOfASmallStaging_AreBitExact(int stagingBlocks)
    {
        using var small = Storage(8);
        using var plain = Storage(8);
        small.StagingBytes = (int)small.Layout.RangeBytes(1, stagingBlocks);
        KvBlockId[] blocks = [new(5), new(1), new(6), new(0), new(3)];
        var data = RandomBf16(small.Layout.RangeBytes(2, blocks.Length), seed: stagingBlocks);

        small.Import(small.Layout, 0, 2, blocks, data);
        var viaSmall = new byte[data.Length];
        small.Export(small.Layout, 0, 2, blocks, viaSmall);
        Assert.Equal(data, viaSmall);

        plain.Import(plain.Layout, 0, 2, blocks, viaSmall);   // the default staging: the whole range in one piece
        var viaPlain = new byte[data.Length];
        plain.Export(plain.Layout, 0, 2, blocks, viaPlain);
        Assert.Equal(data, viaPlain);
    }

    [Fact]
    public void ExportToStaging_ThenImportFromIt_CopiesBitExactIntoOtherBlocksOfAnotherCache()
    {
        using var prefill = Storage(8);
        using var decode = Storage(8);
        KvBlockId[] source = [new(2), new(7), new(4)];
        KvBlockId[] target = [new(0), new(5), new(1)];
        var data = RandomBf16(prefill.Layout.RangeBytes(2, 3), seed: 9);
        prefill.Import(prefill.Layout, 0, 2, source, data);
        using var staging = HostStaging.Allocate((int)prefill.Layout.RangeBytes(2, 3), Device.CPU);

        var n = prefill.Export(prefill.Layout, 0, 2, source, staging);
        Assert.Equal(data, staging.Memory[..n].ToArray());

        decode.Import(decode.Layout, 0, 2, target, staging);
        var back = new byte[data.Length];
        decode.Export(decode.Layout, 0, 2, target, back);
        Assert.Equal(data, back);

        // The staging is reused: a second, smaller export overwrites it from byte 0.
        var layer1 = prefill.Export(prefill.Layout, 1, 1, [new KvBlockId(7)], staging);
        var half = (int)prefill.Layout.HalfBlockBytes;
        var layerBytes = (int)prefill.Layout.RangeBytes(1, 3);
        Assert.Equal(data.AsSpan(layerBytes + half, half).ToArray(), staging.Memory[..half].ToArray());            // K of block 7
        Assert.Equal(data.AsSpan(layerBytes + 4 * half, half).ToArray(), staging.Memory[half..layer1].ToArray());  // V of block 7
    }

    [Fact]
    public void StagingTooSmallOrRangeBad_IsRefusedWithWhatToFix()
    {
        using var storage = Storage(4);
        using var staging = HostStaging.Allocate((int)storage.Layout.RangeBytes(1, 2), Device.CPU);
        KvBlockId[] three = [new(0), new(1), new(2)];

        var tooSmall = Assert.Throws<ArgumentException>(() => storage.Export(storage.Layout, 0, 1, three, staging));
        Assert.Contains("do not fit the staging's", tooSmall.Message);
        Assert.Throws<ArgumentException>(() => storage.Import(storage.Layout, 0, 2, [new KvBlockId(0), new KvBlockId(1)], staging));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.Export(storage.Layout, 0, 1, [new KvBlockId(4)], staging));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.Import(storage.Layout, 1, 2, [new KvBlockId(0)], staging));
        Assert.Throws<ArgumentException>(() => storage.Export(storage.Layout with { BlockSize = 8 }, 0, 1, [new KvBlockId(0)], staging));
        Assert.Equal((int)storage.Layout.RangeBytes(1, 2), storage.Export(storage.Layout, 1, 1, [new KvBlockId(3), new KvBlockId(0)], staging));
    }
}
