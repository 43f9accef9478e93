using Cluster.Core.Kv;
using Cluster.Torch;

namespace Cluster.Engine.Serving;

/// <summary>
/// One layer's K and V of a range of a request's blocks, gathered out of the paged cache by the step that computed
/// them (on CUDA the gather is queued on the compute stream, so the copy to the host waits for that layer only, not
/// for the whole step: an event recorded when the slab is made marks that point on the compute stream, and a copy
/// through <see cref="HostStaging"/> waits for it alone). Safe to read from any thread; CopyTo yields the bytes of
/// <see cref="KvCacheLayout"/> for a sub-range of its blocks.
/// </summary>
public sealed class KvLayerSlab : IDisposable
{
    private readonly Tensor _keys;     // [n, blockSize, Hkv, D]
    private readonly Tensor _values;   // [n, blockSize, Hkv, D]
    private readonly DeviceEvent? _ready;   // the gather on the compute stream (CUDA); null on the CPU

    internal KvLayerSlab(KvCacheLayout layout, int layer, int blockStart, int blockCount, Tensor keys, Tensor values)
    {
        Layout = layout;
        Layer = layer;
        BlockStart = blockStart;
        BlockCount = blockCount;
        _keys = keys;
        _values = values;
        _ready = DeviceEvent.RecordCurrent(keys.device);
    }

    public KvCacheLayout Layout { get; }

    public int Layer { get; }

    /// <summary>First block, as a position in the request's block table.</summary>
    public int BlockStart { get; }

    public int BlockCount { get; }

    /// <summary>Copies blocks [<paramref name="offset"/>, +<paramref name="count"/>) of the slab (K, then V) into <paramref name="destination"/>.</summary>
    public void CopyTo(int offset, int count, Span<byte> destination)
    {
        var half = CheckBlocks(offset, count);
        if (destination.Length != 2 * half)
        {
            throw new ArgumentException($"{destination.Length} bytes for one layer × {count} blocks; the layout needs {2 * half}.", nameof(destination));
        }
        using var keys = _keys.narrow(0, offset, count);       // [count, blockSize, Hkv, D]
        using var values = _values.narrow(0, offset, count);   // [count, blockSize, Hkv, D]
        keys.CopyTo(destination[..half]);
        values.CopyTo(destination[half..]);
    }

    /// <summary>
    /// Copies blocks [<paramref name="offset"/>, +<paramref name="count"/>) of the slab (K, then V) into bytes [0, n) of
    /// <paramref name="staging"/> (pinned on CUDA; the copy waits for this layer's gather only) and returns n.
    /// </summary>
    public int CopyTo(int offset, int count, HostStaging staging)
    {
        ArgumentNullException.ThrowIfNull(staging);
        var half = CheckBlocks(offset, count);
        if (2L * half > staging.Capacity)
        {
            throw new ArgumentException($"One layer × {count} blocks is {2 * half} bytes; the staging holds {staging.Capacity}.", nameof(staging));
        }
        using var keys = _keys.narrow(0, offset, count);       // [count, blockSize, Hkv, D]
        using var values = _values.narrow(0, offset, count);   // [count, blockSize, Hkv, D]
        return staging.Pack([keys, values], _ready);
    }

    /// <summary>
    /// Copies blocks [<paramref name="offset"/>, +<paramref name="count"/>) of the slab (K, then V) device to device into
    /// <paramref name="memory"/> from byte <paramref name="at"/> (a CUDA IPC ring slot; the copy waits for this layer's
    /// gather only) and returns the byte count once the bytes are there.
    /// </summary>
    public int CopyTo(int offset, int count, CudaIpcMemory memory, long at)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var half = CheckBlocks(offset, count);
        using var keys = _keys.narrow(0, offset, count);
        using var values = _values.narrow(0, offset, count);
        return (int)memory.Pack(at, [keys, values], _ready);
    }

    /// <summary>Bytes of blocks [<paramref name="offset"/>, +<paramref name="count"/>) of the slab (K and V).</summary>
    public int Bytes(int offset, int count) => 2 * CheckBlocks(offset, count);

    private int CheckBlocks(int offset, int count)
    {
        if (offset < 0 || count < 1 || offset + count > BlockCount)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Blocks [{offset}, +{count}) are outside the slab's {BlockCount}.");
        }
        return (int)(Layout.HalfBlockBytes * count);
    }

    public void Dispose()
    {
        _ready?.Dispose();
        _keys.Dispose();
        _values.Dispose();
    }
}
