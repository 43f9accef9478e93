using Cluster.Core.Kv;
using Cluster.Engine.Model;
using Cluster.Torch;

namespace Cluster.Engine.KvCache;

/// <summary>
/// The paged cache's tensors: per layer K and V of shape [blocks + 1, blockSize, Hkv, D], preallocated from a budget.
/// Token slot = block · blockSize + offset. The last block is scratch, outside <see cref="Blocks"/> and the block pool:
/// the padded rows of a CUDA-graph decode step write their K/V there (<see cref="ScratchSlot"/>).
/// Import/export in the byte layout of <see cref="KvCacheLayout"/> (README.md),
/// through pinned host staging (PagedKvStorage.Staging.cs).
/// </summary>
public sealed partial class PagedKvStorage : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    private PagedKvStorage(KvCacheLayout layout, int blocks, ScalarType dtype, Device device)
    {
        Layout = layout;
        Blocks = blocks;
        DType = dtype;
        Device = device;
        _keys = new Tensor[layout.Layers];
        _values = new Tensor[layout.Layers];
        long[] shape = [blocks + 1, layout.BlockSize, layout.KvHeads, layout.HeadDim];
        for (var i = 0; i < layout.Layers; i++)
        {
            _keys[i] = torch.zeros(shape, dtype, device);                 // [blocks + 1, blockSize, Hkv, D]
            _values[i] = torch.zeros(shape, dtype, device);
        }
    }

    public KvCacheLayout Layout { get; }

    /// <summary>Blocks the pool hands out (0 … Blocks − 1); the scratch block after them is not counted.</summary>
    public int Blocks { get; }

    /// <summary>First slot of the scratch block: written by padded rows of a fixed-shape decode step, never read as a key.</summary>
    public long ScratchSlot => (long)Blocks * Layout.BlockSize;
    public ScalarType DType { get; }
    public Device Device { get; }

    /// <summary>Bytes of all the cache's tensors.</summary>
    public long Bytes => Layout.RangeBytes(Layout.Layers, Blocks);

    /// <summary>Allocates the cache of <paramref name="config"/> from the budget of <paramref name="options"/>.</summary>
    /// <remarks><paramref name="weightBytes"/>: this worker's weights on the device, charged to its <see cref="KvCacheOptions.DeviceShare"/>.</remarks>
    public static PagedKvStorage Allocate(ModelConfig config, KvCacheOptions options, ScalarType dtype, Device device, long weightBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        var layout = new KvCacheLayout(config.NumLayers, config.NumKvHeads, config.HeadDim, ToKvDataType(dtype), options.BlockSize);
        var perBlock = layout.RangeBytes(layout.Layers, 1);
        var budget = device.IsCuda ? CudaBudget(options, device, weightBytes) : options.CpuBytes;
        var blocks = options.NumBlocks ?? (int)Math.Min(int.MaxValue, Math.Max(0, budget) / perBlock);
        if (blocks < 1)
        {
            throw new InvalidOperationException(options.DeviceShare is { } share && device.IsCuda
                ? $"The KV cache budget of {budget} bytes holds no block of {perBlock} bytes: KvCache:DeviceShare={share} of the device, less this worker's {weightBytes} bytes of weights, leaves no room; run fewer workers on the device, raise KvCache:DeviceShare or use a smaller model or dtype."
                : $"The KV cache budget of {budget} bytes holds no block of {perBlock} bytes; raise KvCache:MemoryFraction or KvCache:CpuBytes.");
        }
        return new PagedKvStorage(layout, blocks, dtype, device);
    }

    /// <summary>MemoryFraction of the free memory, capped by the worker's DeviceShare of the total less its weights.</summary>
    private static long CudaBudget(KvCacheOptions options, Device device, long weightBytes)
    {
        var (free, total) = torch.cuda.mem_get_info(device.Index);
        return DeviceBudget(free, total, options, weightBytes);
    }

    /// <summary>The cache budget on a device with <paramref name="free"/> of <paramref name="total"/> bytes free (negative: no room).</summary>
    public static long DeviceBudget(long free, long total, KvCacheOptions options, long weightBytes)
    {
        ArgumentNullException.ThrowIfNull(options);
        var budget = (long)(free * options.MemoryFraction);
        return options.DeviceShare is { } share ? Math.Min(budget, (long)(total * share * options.MemoryFraction) - weightBytes) : budget;
    }

    /// <summary>Keys of <paramref name="layer"/> by token slot, [(blocks + 1)·blockSize, Hkv, D] (a view; the scratch block last).</summary>
    public Tensor SlotKeys(int layer) => _keys[layer].view(-1, Layout.KvHeads, Layout.HeadDim);     // [S, Hkv, D]

    /// <summary>Values of <paramref name="layer"/> by token slot, [(blocks + 1)·blockSize, Hkv, D] (a view; the scratch block last).</summary>
    public Tensor SlotValues(int layer) => _values[layer].view(-1, Layout.KvHeads, Layout.HeadDim); // [S, Hkv, D]

    /// <summary>Writes k/v [N, Hkv, D] of <paramref name="layer"/> into the token slots [N].</summary>
    public void Write(int layer, Tensor slots, Tensor k, Tensor v)
    {
        using var keys = SlotKeys(layer);
        using var values = SlotValues(layer);
        keys.index_copy_(0, slots, k);
        values.index_copy_(0, slots, v);
    }

    private long CheckRange(KvCacheLayout layout, int layerStart, int layerCount, IReadOnlyList<KvBlockId> blocks, long length)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(blocks);
        if (layout != Layout) throw new ArgumentException($"KV layout {layout} differs from this cache's {Layout}.", nameof(layout));
        if (layerStart < 0 || layerCount < 1 || layerStart + layerCount > Layout.Layers)
        {
            throw new ArgumentOutOfRangeException(nameof(layerCount), $"Layers [{layerStart}, +{layerCount}) are outside 0 … {Layout.Layers - 1}.");
        }
        foreach (var b in blocks)
        {
            if (b.Value < 0 || b.Value >= Blocks) throw new ArgumentOutOfRangeException(nameof(blocks), $"Block {b} is outside 0 … {Blocks - 1}.");
        }
        var expected = Layout.RangeBytes(layerCount, blocks.Count);
        if (length != expected)
        {
            throw new ArgumentException($"{length} bytes for {layerCount} layers × {blocks.Count} blocks; the layout needs {expected}.", nameof(length));
        }
        return Layout.HalfBlockBytes * blocks.Count;
    }

    /// <summary>The KV data type of a model dtype; other dtypes cannot be cached.</summary>
    public static KvDataType ToKvDataType(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => KvDataType.Float32,
        ScalarType.Float16 => KvDataType.Float16,
        ScalarType.BFloat16 => KvDataType.BFloat16,
        _ => throw new ArgumentException($"The KV cache holds float32, float16 or bfloat16, not {dtype}.", nameof(dtype)),
    };

    public void Dispose()
    {
        DisposeStaging();
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
