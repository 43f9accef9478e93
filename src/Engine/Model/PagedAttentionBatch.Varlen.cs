using Cluster.Torch;

namespace Cluster.Engine.Model;

public sealed partial class PagedAttentionBatch
{
    /// <summary>Varlen: [K] cache slots of every chunk's keys (positions 0 … End − 1), chunk after chunk.</summary>
    public Tensor? KeySlots { get; private set; }

    /// <summary>Varlen: int32 [C + 1] offsets of each chunk's queries (rows) and keys (in <see cref="KeySlots"/>).</summary>
    public Tensor? CuQueries { get; private set; }
    public Tensor? CuKeys { get; private set; }

    /// <summary>Varlen: the same offsets on the host, and the longest chunk's query and key counts.</summary>
    public long[] CuQueriesHost { get; private set; } = [];
    public long[] CuKeysHost { get; private set; } = [];
    public long MaxQueries { get; private set; }
    public long MaxKeys { get; private set; }

    // Every index of the pass is written into one host buffer, copied to the device in one transfer and viewed from
    // there: tokens [N] | positions [N] | slots [N] | last rows [C] | key slots [K] | then the int32 part, converted at
    // once: cu queries [C+1] | cu keys [C+1] | (decode kernel: the rest, PagedAttentionBatch.DecodeKernel.cs).
    // Chunks are packed in the given order, except with the decode kernel: single-token chunks first.
    private static PagedAttentionBatch CreateVarlen(IReadOnlyList<PagedChunk> chunks, int blockSize, Device device, bool decodeKernel)
    {
        var order = Enumerable.Range(0, chunks.Count).ToArray();
        if (decodeKernel) order = [.. order.OrderBy(i => chunks[i].Tokens.Count == 1 ? 0 : 1)];   // stable: decodes first
        int n = 0, k = 0, c = chunks.Count;
        foreach (var chunk in chunks)
        {
            n += chunk.Tokens.Count;
            k += chunk.End;
        }
        var layout = decodeKernel ? DecodeKernelLayout.Of(chunks, order, blockSize) : default;
        var ints = 2 * (c + 1) + layout.Length;
        var buffer = new long[3 * n + c + k + ints];
        var span = buffer.AsSpan();
        Span<long> tokens = span.Slice(0, n), positions = span.Slice(n, n), slots = span.Slice(2 * n, n);
        Span<long> lastRows = span.Slice(3 * n, c), keySlots = span.Slice(3 * n + c, k);
        Span<long> cuQ = span.Slice(3 * n + c + k, c + 1), cuK = span.Slice(3 * n + c + k + c + 1, c + 1);
        int row = 0, key = 0, maxQ = 0, maxK = 0;
        for (var i = 0; i < c; i++)
        {
            var chunk = chunks[order[i]];
            int count = chunk.Tokens.Count, end = chunk.End;
            if (count < 1) throw new ArgumentException($"Chunk {order[i]} has no tokens.", nameof(chunks));
            if (end > chunk.BlockTable.Count * blockSize)
            {
                throw new InvalidOperationException($"Position {end - 1} lies past the sequence's {chunk.BlockTable.Count} blocks; grow its block table before scheduling it.");
            }
            cuQ[i] = row;
            cuK[i] = key;
            for (var p = 0; p < end; p++) keySlots[key + p] = (long)chunk.BlockTable[p / blockSize] * blockSize + p % blockSize;
            for (var t = 0; t < count; t++)
            {
                tokens[row + t] = chunk.Tokens[t];
                positions[row + t] = chunk.Start + t;
                slots[row + t] = keySlots[key + chunk.Start + t];
            }
            row += count;
            key += end;
            lastRows[order[i]] = row - 1;
            maxQ = Math.Max(maxQ, count);
            maxK = Math.Max(maxK, end);
        }
        cuQ[c] = row;
        cuK[c] = key;
        if (decodeKernel) layout.Write(chunks, order, blockSize, cuQ, cuK, span.Slice(3 * n + c + k + 2 * (c + 1), layout.Length));

        var mode = decodeKernel ? PagedAttentionMode.DecodeKernel : PagedAttentionMode.Varlen;
        var batch = new PagedAttentionBatch { Mode = mode, TokenCount = n, DecodeCount = layout.Decodes, Prefills = [], BlockSize = blockSize };
        var all = batch.Own(torch.tensor(buffer, device));                                   // [3N + C + K + ints]
        batch.Tokens = batch.Own(all.narrow(0, 0, n));                                       // [N]
        batch.Positions = batch.Own(all.narrow(0, n, n));                                    // [N]
        batch.Slots = batch.Own(all.narrow(0, 2 * n, n));                                    // [N]
        batch.LastRows = batch.Own(all.narrow(0, 3 * n, c));                                 // [C]
        batch.KeySlots = batch.Own(all.narrow(0, 3 * n + c, k));                             // [K]
        var int32 = batch.Own(all.narrow(0, 3 * n + c + k, ints).to(ScalarType.Int32));      // [ints] int32
        batch.CuQueries = batch.Own(int32.narrow(0, 0, c + 1));                              // [C+1]
        batch.CuKeys = batch.Own(int32.narrow(0, c + 1, c + 1));                             // [C+1]
        batch.CuQueriesHost = cuQ.ToArray();
        batch.CuKeysHost = cuK.ToArray();
        batch.MaxQueries = maxQ;
        batch.MaxKeys = maxK;
        if (decodeKernel) batch.ViewDecodeKernel(layout, int32.narrow(0, 2 * (c + 1), layout.Length), cuQ, cuK);
        return batch;
    }
}
