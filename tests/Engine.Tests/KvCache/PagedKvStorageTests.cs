using Cluster.Core.Kv;
using Cluster.Engine.KvCache;
using Cluster.Engine.Synthetic;
using Cluster.Torch;

namespace Cluster.Engine.Tests.KvCache;

public sealed class PagedKvStorageTests
{
    private static PagedKvStorage Storage(int blocks) =>
        PagedKvStorage.Allocate(ModelPresets.Get("tiny"), new KvCacheOptions { BlockSize = 4, NumBlocks = blocks }, ScalarType.Float32, Device.CPU);

    private static byte[] RandomBytes(long length, int seed)
    {
        // Random floats (never zeros or NaNs), as bytes.
        var random = new Random(seed);
        var floats = new float[length / 4];
        for (var i = 0; i < floats.Length; i++) floats[i] = (float)(random.NextDouble() * 2 - 1);
        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
    }

    [Fact]
    public void Allocate_CpuBudget_TakesWholeBlocksThatFit()
    {
        var config = ModelPresets.Get("tiny");
        var perBlock = 2L * config.NumLayers * 4 * config.NumKvHeads * config.HeadDim * 4;
        using var storage = PagedKvStorage.Allocate(config, new KvCacheOptions { BlockSize = 4, CpuBytes = perBlock * 10 + perBlock / 2 }, ScalarType.Float32, Device.CPU);
        Assert.Equal(10, storage.Blocks);
        Assert.Equal(new KvCacheLayout(2, 2, 16, KvDataType.Float32, 4), storage.Layout);
    }

    [Fact]
    public void DeviceBudget_WithoutShare_IsTheFractionOfFreeMemory()
    {
        Assert.Equal(72L << 30, PagedKvStorage.DeviceBudget(80L << 30, 80L << 30, new KvCacheOptions(), weightBytes: 16L << 30));
    }

    [Fact]
    public void DeviceBudget_TwoWorkersSharingADevice_EachGetsItsShareLessItsWeights()
    {
        // 8B-shaped weights (16 GiB) on an 80 GiB device, two workers at 0.5: 0.9 × 40 − 16 = 20 GiB each, whichever
        // loads first; the second still fits in what the first left free.
        var options = new KvCacheOptions { DeviceShare = 0.5 };
        var first = PagedKvStorage.DeviceBudget(free: 48L << 30, total: 80L << 30, options, weightBytes: 16L << 30);
        var second = PagedKvStorage.DeviceBudget(free: (48L << 30) - first, total: 80L << 30, options, weightBytes: 16L << 30);
        Assert.Equal(first, second);
        Assert.Equal(20L << 30, first, tolerance: 1L << 20);
    }

    [Fact]
    public void Validate_DeviceShareOutOfRange_NamesTheSetting()
    {
        Assert.Contains(new KvCacheOptions { DeviceShare = 1.5 }.Validate(), e => e.Contains("KvCache:DeviceShare", StringComparison.Ordinal));
        Assert.Empty(new KvCacheOptions { DeviceShare = 0.25 }.Validate());
    }

    [Fact]
    public void ExportAfterImport_SameBlocks_ReturnsTheBytesInLayoutOrder()
    {
        using var storage = Storage(8);
        KvBlockId[] blocks = [new(5), new(1), new(6)];
        var data = RandomBytes(storage.Layout.RangeBytes(2, 3), seed: 1);
        storage.Import(storage.Layout, 0, 2, blocks, data);
        var back = new byte[data.Length];
        storage.Export(storage.Layout, 0, 2, blocks, back);
        Assert.Equal(data, back);

        // Layer 1's V of the reservation's block 2 (physical 6) is the last half-block of the range.
        var half = (int)storage.Layout.HalfBlockBytes;
        var one = new byte[2 * half];
        storage.Export(storage.Layout, 1, 1, [new KvBlockId(6)], one);
        Assert.Equal(data.AsSpan(data.Length - half).ToArray(), one.AsSpan(half).ToArray());
        Assert.Equal(data.AsSpan(data.Length - 4 * half, half).ToArray(), one.AsSpan(0, half).ToArray());
    }

    [Fact]
    public void Import_OneLayer_LeavesOtherLayersAndBlocksUntouched()
    {
        using var storage = Storage(4);
        var all = RandomBytes(storage.Layout.RangeBytes(2, 4), seed: 2);
        KvBlockId[] every = [new(0), new(1), new(2), new(3)];
        storage.Import(storage.Layout, 0, 2, every, all);
        storage.Import(storage.Layout, 1, 1, [new KvBlockId(2)], RandomBytes(storage.Layout.RangeBytes(1, 1), seed: 3));
        var back = new byte[all.Length];
        storage.Export(storage.Layout, 0, 2, every, back);
        var layer = (int)storage.Layout.RangeBytes(1, 4);
        var half = (int)storage.Layout.HalfBlockBytes;
        Assert.Equal(all.AsSpan(0, layer).ToArray(), back.AsSpan(0, layer).ToArray());          // layer 0 unchanged
        Assert.NotEqual(all.AsSpan(layer + 2 * half, half).ToArray(), back.AsSpan(layer + 2 * half, half).ToArray()); // layer 1 K block 2 changed
        Assert.Equal(all.AsSpan(layer, 2 * half).ToArray(), back.AsSpan(layer, 2 * half).ToArray()); // layer 1 K blocks 0, 1 unchanged
    }

    [Fact]
    public void Import_WrongLengthLayoutOrRange_ThrowsBeforeWriting()
    {
        using var storage = Storage(4);
        var ok = new byte[storage.Layout.RangeBytes(1, 1)];
        Assert.Throws<ArgumentException>(() => storage.Import(storage.Layout, 0, 1, [new KvBlockId(0)], ok.AsSpan(1)));
        Assert.Throws<ArgumentException>(() => storage.Import(storage.Layout with { DataType = KvDataType.BFloat16 }, 0, 1, [new KvBlockId(0)], ok));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.Import(storage.Layout, 2, 1, [new KvBlockId(0)], ok));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.Import(storage.Layout, 0, 1, [new KvBlockId(4)], ok));
    }
}
