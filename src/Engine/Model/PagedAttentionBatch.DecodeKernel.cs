using Cluster.Torch;

namespace Cluster.Engine.Model;

public sealed partial class PagedAttentionBatch
{
    /// <summary>Cache slots per block (the block tables' unit).</summary>
    public int BlockSize { get; private set; }

    /// <summary>Decode kernel: int32 [S, maxBlocks] block tables of the S decodes (rows 0 … S − 1), padded with block 0.</summary>
    public Tensor? DecodeBlockTables { get; private set; }

    /// <summary>Decode kernel: int32 [S] keys each decode attends over (its position + 1).</summary>
    public Tensor? DecodeLengths { get; private set; }

    /// <summary>Decode kernel: the longer chunks (rows S … N − 1) as their own varlen batch: key slots and offsets.</summary>
    public Tensor? PrefillKeySlots { get; private set; }
    public Tensor? PrefillCuQueries { get; private set; }
    public Tensor? PrefillCuKeys { get; private set; }
    public long[] PrefillCuQueriesHost { get; private set; } = [];
    public long[] PrefillCuKeysHost { get; private set; } = [];
    public long PrefillMaxQueries { get; private set; }
    public long PrefillMaxKeys { get; private set; }

    private void ViewDecodeKernel(DecodeKernelLayout layout, Tensor int32, Span<long> cuQ, Span<long> cuK)
    {
        int s = layout.Decodes, p = layout.Prefills;
        PrefillCuQueriesHost = cuQ[s..].ToArray();
        PrefillCuKeysHost = cuK[s..].ToArray();
        for (var j = 0; j <= p; j++)
        {
            PrefillCuQueriesHost[j] -= cuQ[s];
            PrefillCuKeysHost[j] -= cuK[s];
        }
        for (var j = 0; j < p; j++)
        {
            PrefillMaxQueries = Math.Max(PrefillMaxQueries, PrefillCuQueriesHost[j + 1] - PrefillCuQueriesHost[j]);
            PrefillMaxKeys = Math.Max(PrefillMaxKeys, PrefillCuKeysHost[j + 1] - PrefillCuKeysHost[j]);
        }
        PrefillCuQueries = Own(int32.narrow(0, 0, p + 1));                                   // [P+1]
        PrefillCuKeys = Own(int32.narrow(0, p + 1, p + 1));                                  // [P+1]
        PrefillKeySlots = Own(KeySlots!.narrow(0, cuK[s], cuK[^1] - cuK[s]));               // [K − K_decodes]
        if (s == 0) return;
        DecodeBlockTables = Own(int32.narrow(0, 2 * (p + 1), (long)s * layout.MaxBlocks).view(s, layout.MaxBlocks));  // [S, M]
        DecodeLengths = Own(int32.narrow(0, 2 * (p + 1) + (long)s * layout.MaxBlocks, s));                          // [S]
    }

    /// <summary>
    /// The decode kernel's int32 part of the host buffer: prefill cu queries [P+1] | prefill cu keys [P+1] |
    /// block tables [S, maxBlocks] | lengths [S], for S decodes packed first and P longer chunks after them.
    /// </summary>
    private readonly record struct DecodeKernelLayout(int Decodes, int Prefills, int MaxBlocks)
    {
        public int Length => 2 * (Prefills + 1) + Decodes * MaxBlocks + Decodes;

        public static DecodeKernelLayout Of(IReadOnlyList<PagedChunk> chunks, int[] order, int blockSize)
        {
            int decodes = 0, maxBlocks = 0;
            foreach (var i in order)
            {
                if (chunks[i].Tokens.Count != 1) break;
                decodes++;
                maxBlocks = Math.Max(maxBlocks, (chunks[i].End + blockSize - 1) / blockSize);
            }
            return new DecodeKernelLayout(decodes, chunks.Count - decodes, maxBlocks);
        }

        public void Write(IReadOnlyList<PagedChunk> chunks, int[] order, int blockSize, Span<long> cuQ, Span<long> cuK, Span<long> into)
        {
            for (var j = 0; j <= Prefills; j++)
            {
                into[j] = cuQ[Decodes + j] - cuQ[Decodes];
                into[Prefills + 1 + j] = cuK[Decodes + j] - cuK[Decodes];
            }
            var tables = into.Slice(2 * (Prefills + 1), Decodes * MaxBlocks);
            var lengths = into.Slice(2 * (Prefills + 1) + Decodes * MaxBlocks, Decodes);
            for (var s = 0; s < Decodes; s++)
            {
                var chunk = chunks[order[s]];
                var used = (chunk.End + blockSize - 1) / blockSize;
                for (var b = 0; b < used; b++) tables[s * MaxBlocks + b] = chunk.BlockTable[b];
                lengths[s] = chunk.End;
            }
        }
    }
}
