using Cluster.Core.Kv;
using Cluster.Torch;

namespace Cluster.Engine.KvCache;

/// <summary>
/// Export and import through <see cref="HostStaging"/>: the blocks of a layer range are gathered on the device into one
/// contiguous buffer and cross to the host in one copy into pinned memory (CUDA), and back the same way. The overloads
/// taking a staging leave the bytes in it (a caller that sends them from there makes no managed copy); the span
/// overloads go through one of the storage's own stagings of at most <see cref="DefaultStagingBytes"/> (pinned host
/// memory, plus as much device memory on CUDA, made at first use; at most <see cref="MaxOwnStagings"/> copies run at
/// once, so concurrent pushes do not queue behind one buffer), piece by piece, so memory stays bounded whatever the
/// range. <see cref="StreamOrder.Independent"/> copies never wait for the compute stream (README.md: KV import and
/// export never wait for a step).
/// </summary>
public sealed partial class PagedKvStorage
{
    /// <summary>Bytes of the storage's own staging (at least one block of one layer, at most the whole cache).</summary>
    public const int DefaultStagingBytes = 8 << 20;

    /// <summary>Own stagings in use at once (span copies beyond it wait for one to come back).</summary>
    public const int MaxOwnStagings = 4;

    private readonly SemaphoreSlim _stagingSlots = new(MaxOwnStagings, MaxOwnStagings);
    private readonly System.Collections.Concurrent.ConcurrentBag<HostStaging> _spareStagings = [];
    private bool _stagingDisposed;

    /// <summary>Bytes of each own staging, before the first use (tests make it small to split ranges into pieces).</summary>
    internal int StagingBytes { get; set; } = DefaultStagingBytes;

    /// <summary>
    /// Copies layers [<paramref name="layerStart"/>, +count) of <paramref name="blocks"/> into bytes [0, n) of
    /// <paramref name="staging"/> (layout of README.md) and returns n, once the bytes are there.
    /// </summary>
    public int Export(KvCacheLayout layout, int layerStart, int layerCount, IReadOnlyList<KvBlockId> blocks, HostStaging staging, StreamOrder order = StreamOrder.AfterQueuedWork)
    {
        var bytes = CheckStaged(layout, layerStart, layerCount, blocks, staging);
        var n = staging.Gather(Tensors(layerStart, layerCount), Rows(blocks), order: order);
        return n == bytes ? n : throw new InvalidOperationException($"The staging holds {n} bytes of KV; the layout needs {bytes}.");
    }

    /// <summary>Writes layers [<paramref name="layerStart"/>, +count) of <paramref name="blocks"/> from bytes [0, n) of <paramref name="staging"/>.</summary>
    public void Import(KvCacheLayout layout, int layerStart, int layerCount, IReadOnlyList<KvBlockId> blocks, HostStaging staging, StreamOrder order = StreamOrder.AfterQueuedWork)
    {
        CheckStaged(layout, layerStart, layerCount, blocks, staging);
        staging.Scatter(Tensors(layerStart, layerCount), Rows(blocks), order);
    }

    /// <summary>
    /// Writes layers [<paramref name="layerStart"/>, +count) of <paramref name="blocks"/> device to device from
    /// <paramref name="source"/> at byte <paramref name="offset"/> (another process's memory opened by CUDA IPC, layout of
    /// README.md; on this cache's GPU or on a peer GPU of the same host); never waits for the compute stream, returns once written.
    /// </summary>
    public void Import(KvCacheLayout layout, int layerStart, int layerCount, IReadOnlyList<KvBlockId> blocks, CudaIpcMemory source, long offset)
    {
        ArgumentNullException.ThrowIfNull(source);
        var bytes = Layout.RangeBytes(Math.Max(0, layerCount), blocks.Count);
        CheckRange(layout, layerStart, layerCount, blocks, bytes);
        if (!Device.IsCuda || !source.Device.IsCuda)
        {
            // Another GPU of this host is fine (a peer: the scatter copies across); the CPU is not.
            throw new ArgumentException($"The CUDA IPC memory is on {source.Device}; this cache is on {Device}: both must be CUDA devices.", nameof(source));
        }
        if (blocks.Count == 0) return;
        source.Scatter(offset, Tensors(layerStart, layerCount), Rows(blocks));
    }

    /// <summary>
    /// Copies layers [<paramref name="layerStart"/>, +count) of <paramref name="blocks"/> device to device into
    /// <paramref name="destination"/> from byte <paramref name="offset"/> (a CUDA IPC ring slot; layout of README.md) and
    /// returns the byte count once the bytes are there (a gather per tensor, then one packing copy).
    /// </summary>
    public long Export(KvCacheLayout layout, int layerStart, int layerCount, IReadOnlyList<KvBlockId> blocks, CudaIpcMemory destination, long offset)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckRange(layout, layerStart, layerCount, blocks, Layout.RangeBytes(Math.Max(0, layerCount), blocks.Count));
        using var index = torch.tensor(Rows(blocks), Device);
        var gathered = Tensors(layerStart, layerCount).Select(t => t.index_select(0, index)).ToArray();
        try
        {
            return destination.Pack(offset, gathered);
        }
        finally
        {
            foreach (var t in gathered) t.Dispose();
        }
    }

    /// <summary>Copies layers [start, +count) of <paramref name="blocks"/> into <paramref name="destination"/> (layout of README.md).</summary>
    public void Export(KvCacheLayout layout, int layerStart, int layerCount, IReadOnlyList<KvBlockId> blocks, Span<byte> destination, StreamOrder order = StreamOrder.AfterQueuedWork)
    {
        var half = (int)CheckRange(layout, layerStart, layerCount, blocks, destination.Length);
        if (blocks.Count == 0) return;
        var staging = RentStaging();
        try
        {
            foreach (var (layer, layers, first, count) in Pieces(layerCount, blocks.Count, staging.Capacity))
            {
                var n = Export(layout, layerStart + layer, layers, Slice(blocks, first, count), staging, order);
                var staged = staging.GetSpan()[..n];
                var at = 2 * half * layer + first * (int)Layout.HalfBlockBytes;
                if (count == blocks.Count) staged.CopyTo(destination[at..]);
                else
                {
                    staged[..(n / 2)].CopyTo(destination[at..]);              // K of the blocks
                    staged[(n / 2)..].CopyTo(destination[(at + half)..]);     // V of the blocks
                }
            }
        }
        finally
        {
            ReturnStaging(staging);
        }
    }

    /// <summary>Writes layers [start, +count) of <paramref name="blocks"/> from <paramref name="source"/> (layout of README.md).</summary>
    public void Import(KvCacheLayout layout, int layerStart, int layerCount, IReadOnlyList<KvBlockId> blocks, ReadOnlySpan<byte> source, StreamOrder order = StreamOrder.AfterQueuedWork)
    {
        var half = (int)CheckRange(layout, layerStart, layerCount, blocks, source.Length);
        if (blocks.Count == 0) return;
        var staging = RentStaging();
        try
        {
            foreach (var (layer, layers, first, count) in Pieces(layerCount, blocks.Count, staging.Capacity))
            {
                var staged = staging.GetSpan();
                var at = 2 * half * layer + first * (int)Layout.HalfBlockBytes;
                var n = (int)Layout.RangeBytes(layers, count);
                if (count == blocks.Count) source.Slice(at, n).CopyTo(staged);
                else
                {
                    source.Slice(at, n / 2).CopyTo(staged);
                    source.Slice(at + half, n / 2).CopyTo(staged[(n / 2)..]);
                }
                Import(layout, layerStart + layer, layers, Slice(blocks, first, count), staging, order);
            }
        }
        finally
        {
            ReturnStaging(staging);
        }
    }

    // Pieces of a layers × blocks range that fit `capacity` bytes: groups of whole layers when a layer's blocks fit,
    // else runs of blocks of one layer. Offsets relative to the range.
    private IEnumerable<(int Layer, int Layers, int First, int Count)> Pieces(int layers, int blocks, int capacity)
    {
        var layerBytes = Layout.RangeBytes(1, blocks);
        if (layerBytes <= capacity)
        {
            var per = (int)Math.Min(layers, capacity / layerBytes);
            for (var l = 0; l < layers; l += per) yield return (l, Math.Min(per, layers - l), 0, blocks);
            yield break;
        }
        var blocksPer = (int)Math.Max(1, capacity / Layout.BlockLayerBytes);
        for (var l = 0; l < layers; l++)
        {
            for (var b = 0; b < blocks; b += blocksPer) yield return (l, 1, b, Math.Min(blocksPer, blocks - b));
        }
    }

    private int CheckStaged(KvCacheLayout layout, int layerStart, int layerCount, IReadOnlyList<KvBlockId> blocks, HostStaging staging)
    {
        ArgumentNullException.ThrowIfNull(staging);
        ArgumentNullException.ThrowIfNull(blocks);
        var bytes = Layout.RangeBytes(Math.Max(0, layerCount), blocks.Count);
        CheckRange(layout, layerStart, layerCount, blocks, bytes);
        if (staging.Device != Device)
        {
            throw new ArgumentException($"The staging copies for {staging.Device}; this cache is on {Device}.", nameof(staging));
        }
        if (bytes > staging.Capacity)
        {
            throw new ArgumentException(
                $"{bytes} bytes of KV ({layerCount} layers × {blocks.Count} blocks) do not fit the staging's {staging.Capacity}; copy fewer at a time or allocate a larger staging.",
                nameof(staging));
        }
        return (int)bytes;
    }

    // Per layer K then V: the order of the byte layout.
    private Tensor[] Tensors(int layerStart, int layerCount)
    {
        var tensors = new Tensor[2 * layerCount];
        for (var l = 0; l < layerCount; l++)
        {
            tensors[2 * l] = _keys[layerStart + l];       // [blocks + 1, blockSize, Hkv, D]
            tensors[2 * l + 1] = _values[layerStart + l]; // [blocks + 1, blockSize, Hkv, D]
        }
        return tensors;
    }

    private static long[] Rows(IReadOnlyList<KvBlockId> blocks) => [.. blocks.Select(b => (long)b.Value)];

    /// <summary>Blocks [<paramref name="first"/>, +<paramref name="count"/>) of <paramref name="blocks"/> (the list itself when that is all of it).</summary>
    internal static IReadOnlyList<KvBlockId> Slice(IReadOnlyList<KvBlockId> blocks, int first, int count) =>
        first == 0 && count == blocks.Count ? blocks : [.. blocks.Skip(first).Take(count)];

    // One of the own stagings (made at first need), for one caller at a time; at most MaxOwnStagings out at once.
    private HostStaging RentStaging()
    {
        _stagingSlots.Wait();
        if (_spareStagings.TryTake(out var spare)) return spare;
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _stagingDisposed), this);
            return HostStaging.Allocate((int)Math.Max(Layout.BlockLayerBytes, Math.Min(StagingBytes, Bytes)), Device);
        }
        catch
        {
            _stagingSlots.Release();
            throw;
        }
    }

    private void ReturnStaging(HostStaging staging)
    {
        _spareStagings.Add(staging);
        if (Volatile.Read(ref _stagingDisposed)) DisposeStaging();   // came back after the storage was disposed
        _stagingSlots.Release();
    }

    // Frees the spare stagings; one still out is freed when it comes back.
    private void DisposeStaging()
    {
        Volatile.Write(ref _stagingDisposed, true);
        while (_spareStagings.TryTake(out var staging)) staging.Dispose();
    }
}
