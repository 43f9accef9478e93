using Cluster.Torch;

namespace Cluster.Engine.Model;

/// <summary>
/// Fixed device buffers of a decode-only step for CUDA graphs: a step of n ≤ bucket decodes is written into the first
/// bucket rows, rows n … bucket − 1 are padding (token 0 at position 0, K/V written to the cache's scratch slot, 0 keys
/// to attend over, logits ignored), and <see cref="Batch"/> views them as a <see cref="PagedAttentionBatch"/> of that
/// bucket. Block tables are padded to a width of W ≤ <see cref="MaxBlocks"/> columns (a width bucket ≥ the step's longest
/// sequence), so the paged kernel's launch shape (grid, key splits) depends on (bucket, W) only and it reads every
/// length from device memory. Layout: int64 [3·B] tokens | positions | slots; int32 [B + B·M] lengths | block tables
/// [bucket, W] (row stride W); int64 [B] rows 0 … B − 1.
/// </summary>
internal sealed class FixedDecodeInputs : IDisposable
{
    private readonly long[] _hostLongs;
    private readonly int[] _hostInts;
    private readonly Tensor _longs;      // int64 [3·B]
    private readonly Tensor _ints;       // int32 [B + B·M]
    private readonly Tensor _rows;       // int64 [B]: 0 … B − 1

    public FixedDecodeInputs(int capacity, int maxBlocks, int blockSize, long scratchSlot, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        Capacity = capacity;
        MaxBlocks = maxBlocks;
        BlockSize = blockSize;
        ScratchSlot = scratchSlot;
        _hostLongs = new long[3 * capacity];
        _hostInts = new int[capacity + capacity * maxBlocks];
        _longs = torch.zeros([3L * capacity], ScalarType.Int64, device).DetachFromDisposeScope();
        _ints = torch.zeros([_hostInts.Length], ScalarType.Int32, device).DetachFromDisposeScope();
        _rows = torch.arange(0, capacity, dtype: ScalarType.Int64, device: device).DetachFromDisposeScope();
    }

    /// <summary>B: rows of the largest bucket.</summary>
    public int Capacity { get; }

    /// <summary>M: block-table columns of every row.</summary>
    public int MaxBlocks { get; }

    public int BlockSize { get; }

    /// <summary>The slot padded rows write their K/V to (the cache's scratch block).</summary>
    public long ScratchSlot { get; }

    /// <summary>Whether <paramref name="chunks"/> can run from these buffers: 1 … B single-token chunks whose keys fit <paramref name="width"/> blocks.</summary>
    public bool Fits(IReadOnlyList<PagedChunk> chunks, int width)
    {
        if (chunks.Count == 0 || chunks.Count > Capacity || width > MaxBlocks) return false;
        foreach (var c in chunks)
        {
            if (c.Tokens.Count != 1 || Blocks(c) > width || Blocks(c) > c.BlockTable.Count) return false;
        }
        return true;
    }

    /// <summary>
    /// Writes <paramref name="decodes"/> (row i = chunk i) and padding up to <paramref name="bucket"/> rows, block tables
    /// <paramref name="width"/> wide, and copies them to the device.
    /// </summary>
    public void Write(IReadOnlyList<PagedChunk> decodes, int bucket, int width)
    {
        ArgumentNullException.ThrowIfNull(decodes);
        if (bucket < decodes.Count || bucket > Capacity || width < 1 || width > MaxBlocks || !(decodes.Count == 0 || Fits(decodes, width)))
        {
            throw new ArgumentException(
                $"{decodes.Count} chunks do not fit a fixed decode shape of {bucket} rows × {width} blocks (1 … {Capacity} single-token chunks of ≤ {width} ≤ {MaxBlocks} blocks).", nameof(decodes));
        }
        Layout(decodes, bucket, width, Capacity, BlockSize, ScratchSlot, _hostLongs, _hostInts);
        using var longs = torch.tensor<long>(_hostLongs, [_hostLongs.Length], ScalarType.Int64);                     // CPU
        _longs.copy_(longs);
        var used = Capacity + bucket * width;
        using var ints = torch.tensor<int>(_hostInts.AsSpan(0, used), [used], ScalarType.Int32);                     // CPU
        using var target = _ints.narrow(0, 0, used);
        target.copy_(ints);
    }

    /// <summary>Views of the first <paramref name="bucket"/> rows, tables <paramref name="width"/> wide, as a decode-kernel batch (the same device memory every call).</summary>
    public PagedAttentionBatch Batch(int bucket, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucket, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bucket, Capacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxBlocks);
        return PagedAttentionBatch.FixedDecode(
            _longs.narrow(0, 0, bucket), _longs.narrow(0, Capacity, bucket), _longs.narrow(0, 2L * Capacity, bucket), _rows.narrow(0, 0, bucket),
            _ints.narrow(0, Capacity, (long)bucket * width).view(bucket, width), _ints.narrow(0, 0, bucket), BlockSize);
    }

    /// <summary>
    /// The host side of <see cref="Write"/>: rows 0 … n − 1 from the chunks, rows n … bucket − 1 padding; block-table
    /// rows past a chunk's used blocks and padding rows hold block 0 (never read: the kernel reads keys below a row's length).
    /// </summary>
    internal static void Layout(IReadOnlyList<PagedChunk> decodes, int bucket, int width, int capacity, int blockSize, long scratchSlot,
        Span<long> longs, Span<int> ints)
    {
        Span<long> tokens = longs.Slice(0, capacity), positions = longs.Slice(capacity, capacity), slots = longs.Slice(2 * capacity, capacity);
        Span<int> lengths = ints.Slice(0, capacity), tables = ints.Slice(capacity, bucket * width);
        tables.Clear();
        for (var row = 0; row < bucket; row++)
        {
            if (row >= decodes.Count)
            {
                tokens[row] = 0;
                positions[row] = 0;
                slots[row] = scratchSlot;
                lengths[row] = 0;
                continue;
            }
            var chunk = decodes[row];
            var position = chunk.Start;
            tokens[row] = chunk.Tokens[0];
            positions[row] = position;
            slots[row] = (long)chunk.BlockTable[position / blockSize] * blockSize + position % blockSize;
            lengths[row] = chunk.End;
            for (var b = 0; b < Blocks(chunk, blockSize); b++) tables[row * width + b] = chunk.BlockTable[b];
        }
    }

    private int Blocks(PagedChunk chunk) => Blocks(chunk, BlockSize);

    private static int Blocks(PagedChunk chunk, int blockSize) => (chunk.End + blockSize - 1) / blockSize;

    public void Dispose()
    {
        _longs.Dispose();
        _ints.Dispose();
        _rows.Dispose();
    }
}
