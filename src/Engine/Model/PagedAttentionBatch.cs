using Cluster.Torch;

namespace Cluster.Engine.Model;

/// <summary>
/// Device tensors of one packed forward pass over the paged cache (no padding of prefill tokens).
/// <see cref="PagedAttentionMode.Varlen"/> (PagedAttentionBatch.Varlen.cs): chunks in the given order, the key slots of
/// every chunk packed back to back, built in one host buffer and copied to the device at once.
/// <see cref="PagedAttentionMode.DecodeKernel"/> (PagedAttentionBatch.DecodeKernel.cs): the same, with single-token chunks
/// packed first and their block tables and lengths added for the paged decode kernel.
/// <see cref="PagedAttentionMode.Padded"/>: single-token chunks (decodes) come first and attend as one batch over
/// gathered keys padded to the longest; each longer chunk attends on its own: causally over its own keys when it
/// starts at 0, else over its gathered past.
/// </summary>
public sealed partial class PagedAttentionBatch : IDisposable
{
    private readonly List<Tensor> _owned = [];

    private PagedAttentionBatch() { }

    /// <summary>N: new tokens in the pass.</summary>
    public long TokenCount { get; private set; }

    /// <summary>[N] token ids, [N] positions, [N] cache slot of each new token.</summary>
    public Tensor Tokens { get; private set; } = null!;
    public Tensor Positions { get; private set; } = null!;
    public Tensor Slots { get; private set; } = null!;

    /// <summary>S: single-token chunks, packed first.</summary>
    public int DecodeCount { get; private set; }

    /// <summary>[S, L] key slots of the decodes (padded with slot 0) and [S, 1, 1, L] bool: key visible.</summary>
    public Tensor? DecodeKeySlots { get; private set; }
    public Tensor? DecodeMask { get; private set; }

    /// <summary>The longer chunks, in packed order after the decodes.</summary>
    public IReadOnlyList<PagedPrefill> Prefills { get; private set; } = [];

    /// <summary>[C]: packed row of each chunk's last token, in the order the chunks were given.</summary>
    public Tensor LastRows { get; private set; } = null!;

    /// <summary>How this batch attends (which of the metadata below is set).</summary>
    public PagedAttentionMode Mode { get; private set; }

    public static PagedAttentionBatch Create(IReadOnlyList<PagedChunk> chunks, int blockSize, Device device, PagedAttentionMode mode = PagedAttentionMode.Varlen)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0) throw new ArgumentException("A forward pass needs at least one chunk.", nameof(chunks));
        return mode switch
        {
            PagedAttentionMode.Varlen => CreateVarlen(chunks, blockSize, device, decodeKernel: false),
            PagedAttentionMode.DecodeKernel => CreateVarlen(chunks, blockSize, device, decodeKernel: true),
            PagedAttentionMode.Padded => CreatePadded(chunks, blockSize, device),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown paged attention mode."),
        };
    }

    private static PagedAttentionBatch CreatePadded(IReadOnlyList<PagedChunk> chunks, int blockSize, Device device)
    {
        var batch = new PagedAttentionBatch { Mode = PagedAttentionMode.Padded, BlockSize = blockSize };
        var order = chunks.Select((c, i) => (c, i)).OrderBy(p => p.c.Tokens.Count == 1 ? 0 : 1).ToList();
        var n = chunks.Sum(c => c.Tokens.Count);
        long[] tokens = new long[n], positions = new long[n], slots = new long[n], lastRows = new long[chunks.Count];
        var offset = 0;
        var prefills = new List<PagedPrefill>();
        var decodes = order.Where(p => p.c.Tokens.Count == 1).Select(p => p.c).ToList();
        foreach (var (chunk, index) in order)
        {
            for (var t = 0; t < chunk.Tokens.Count; t++)
            {
                tokens[offset + t] = chunk.Tokens[t];
                positions[offset + t] = chunk.Start + t;
                slots[offset + t] = Slot(chunk, chunk.Start + t, blockSize);
            }
            lastRows[index] = offset + chunk.Tokens.Count - 1;
            if (chunk.Tokens.Count > 1) prefills.Add(batch.Prefill(chunk, offset, blockSize, device));
            offset += chunk.Tokens.Count;
        }
        batch.TokenCount = n;
        batch.Tokens = batch.Own(torch.tensor(tokens, device));           // [N]
        batch.Positions = batch.Own(torch.tensor(positions, device));     // [N]
        batch.Slots = batch.Own(torch.tensor(slots, device));             // [N]
        batch.LastRows = batch.Own(torch.tensor(lastRows, device));       // [C]
        batch.Prefills = prefills;
        batch.DecodeCount = decodes.Count;
        if (decodes.Count > 0) batch.AddDecodes(decodes, blockSize, device);
        return batch;
    }

    private void AddDecodes(List<PagedChunk> decodes, int blockSize, Device device)
    {
        var length = decodes.Max(c => c.End);
        var keySlots = new long[decodes.Count * length];
        var visible = new bool[decodes.Count * length];
        for (var s = 0; s < decodes.Count; s++)
        {
            for (var p = 0; p < decodes[s].End; p++)
            {
                keySlots[s * length + p] = Slot(decodes[s], p, blockSize);
                visible[s * length + p] = true;
            }
        }
        DecodeKeySlots = Own(torch.tensor(keySlots, [decodes.Count, length], device));                          // [S, L]
        DecodeMask = Own(torch.tensor<bool>(visible, [decodes.Count, 1, 1, length], ScalarType.Bool, device));   // [S, 1, 1, L]
    }

    private PagedPrefill Prefill(PagedChunk chunk, int offset, int blockSize, Device device)
    {
        if (chunk.Start == 0) return new PagedPrefill(offset, chunk.Tokens.Count, null, null);
        int t = chunk.Tokens.Count, length = chunk.End;
        var keySlots = new long[length];
        for (var p = 0; p < length; p++) keySlots[p] = Slot(chunk, p, blockSize);
        var visible = new bool[t * length];
        for (var q = 0; q < t; q++)
        {
            for (var p = 0; p <= chunk.Start + q; p++) visible[q * length + p] = true;
        }
        return new PagedPrefill(offset, t,
            Own(torch.tensor(keySlots, device)),                                              // [L]
            Own(torch.tensor<bool>(visible, [1, 1, t, length], ScalarType.Bool, device)));    // [1, 1, T, L]
    }

    private static long Slot(PagedChunk chunk, int position, int blockSize)
    {
        var block = position / blockSize;
        if (block >= chunk.BlockTable.Count)
        {
            throw new InvalidOperationException($"Position {position} lies past the sequence's {chunk.BlockTable.Count} blocks; grow its block table before scheduling it.");
        }
        return (long)chunk.BlockTable[block] * blockSize + position % blockSize;
    }

    private Tensor Own(Tensor t)
    {
        _owned.Add(t.DetachFromDisposeScope());
        return t;
    }

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
    }
}
