using Cluster.Torch;

namespace Cluster.Engine.Model;

public sealed partial class PagedAttentionBatch
{
    /// <summary>
    /// A fixed-shape decode batch (<see cref="FixedDecodeInputs"/>, CUDA graphs): every row a decode, attended through
    /// the paged decode kernel (its ATen reference off CUDA) over the block tables; no varlen metadata.
    /// </summary>
    public bool FixedShape { get; private set; }

    // Takes ownership of the views (not of the buffers under them).
    internal static PagedAttentionBatch FixedDecode(Tensor tokens, Tensor positions, Tensor slots, Tensor lastRows, Tensor blockTables, Tensor lengths, int blockSize)
    {
        var batch = new PagedAttentionBatch
        {
            Mode = PagedAttentionMode.DecodeKernel, FixedShape = true, BlockSize = blockSize, TokenCount = tokens.size(0), DecodeCount = (int)tokens.size(0), Prefills = [],
        };
        batch.Tokens = batch.Own(tokens);                  // [B]
        batch.Positions = batch.Own(positions);            // [B]
        batch.Slots = batch.Own(slots);                    // [B]
        batch.LastRows = batch.Own(lastRows);              // [B]
        batch.DecodeBlockTables = batch.Own(blockTables);  // [B, M] int32
        batch.DecodeLengths = batch.Own(lengths);          // [B] int32
        return batch;
    }
}
