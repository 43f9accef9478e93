namespace Cluster.Engine.Model;

/// <summary>How a packed forward pass attends over the paged cache.</summary>
public enum PagedAttentionMode
{
    /// <summary>
    /// Every chunk in one varlen call: each layer gathers the chunks' keys once, compactly (no padding), and attends
    /// causally per chunk (one flash-attention call on CUDA half/bfloat16; one sdpa per chunk elsewhere).
    /// </summary>
    Varlen,

    /// <summary>
    /// Decodes (single-token chunks) through the paged decode-attention kernel, which reads keys straight from the
    /// block tables (no gather; fixed-shape inputs per batch size); longer chunks through the varlen call over their
    /// gathered keys. Needs the native library's CUDA kernels and CUDA half/bfloat16; elsewhere it runs as
    /// <see cref="Varlen"/>.
    /// </summary>
    DecodeKernel,

    /// <summary>
    /// The first implementation, kept to compare against: decodes attend as one batch over keys padded to the longest
    /// sequence (with a mask), each longer chunk attends on its own with an explicit mask.
    /// </summary>
    Padded,
}
