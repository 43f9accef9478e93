using Cluster.Core.Kv;
using Cluster.Torch;

namespace Cluster.Engine.Serving;

/// <summary>
/// One layer's K and V of a range of a request's blocks, gathered out of the paged cache by the step that computed
/// them (on CUDA the gather is queued on the compute stream, so the copy to the host waits for that layer only, not
/// for the whole step). Safe to read from any thread; <see cref="CopyTo"/> yields the bytes of
/// <see cref="KvCacheLayout"/> for a sub-range of its blocks.
/// </summary>
public sealed class KvLayerSlab : IDisposable
{
    private readonly Tensor _keys;     // [n, blockSize, Hkv, D]
    private readonly Tensor _values;   // [n, blockSize, Hkv, D]

    internal KvLayerSlab(KvCacheLayout layout, int layer, int blockStart, int blockCount, Tensor keys, Tensor values)
    {
        Layout = layout;
        Layer = layer;
        BlockStart = blockStart;
        BlockCount = blockCount;
        _keys = keys;
        _values = values;
    }

    public KvCacheLayout Layout { get; }

    public int Layer { get; }

    /// <summary>First block, as a position in the request's block table.</summary>
    public int BlockStart { get; }

    public int BlockCount { get; }

    /// <summary>Copies blocks [<paramref name="offset"/>, +<paramref name="count"/>) of the slab (K, then V) into <paramref name="destination"/>.</summary>
    public void CopyTo(int offset, int count, Span<byte> destination)
    {
        if (offset < 0 || count < 1 || offset + count > BlockCount)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Blocks [{offset}, +{count}) are outside the slab's {BlockCount}.");
        }
        var half = (int)(Layout.HalfBlockBytes * count);
        if (destination.Length != 2 * half)
        {
            throw new ArgumentException($"{destination.Length} bytes for one layer × {count} blocks; the layout needs {2 * half}.", nameof(destination));
        }
        using var keys = _keys.narrow(0, offset, count);       // [count, blockSize, Hkv, D]
        using var values = _values.narrow(0, offset, count);   // [count, blockSize, Hkv, D]
        keys.CopyTo(destination[..half]);
        values.CopyTo(destination[half..]);
    }

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
