namespace Cluster.Engine.Serving;

/// <summary>How the engine runs decode-only steps (Engine:CudaGraphs; benchmarks and tests pick the others).</summary>
public enum DecodeGraphMode
{
    /// <summary>Every step eagerly, packed without padding.</summary>
    Off,

    /// <summary>
    /// Decode-only steps replay a CUDA graph captured per batch-size bucket, the batch padded to its bucket (CUDA with
    /// the paged decode kernel and <see cref="Model.PagedAttentionMode.DecodeKernel"/> attention); other steps eagerly.
    /// </summary>
    On,

    /// <summary>
    /// Decode-only steps run the graphs' padded fixed-buffer forward pass eagerly, on any device (checks that the padding
    /// is harmless, and on CUDA separates capture from padding when outputs differ).
    /// </summary>
    PaddedEager,
}

/// <summary>Which path one step took, and why not a graph.</summary>
internal enum DecodePath
{
    /// <summary>Replayed a captured CUDA graph.</summary>
    Graph,

    /// <summary>The padded fixed-buffer forward, eagerly (<see cref="DecodeGraphMode.PaddedEager"/>, or the step that captured or failed to).</summary>
    PaddedEager,

    /// <summary>Eager: graphs are off.</summary>
    Off,

    /// <summary>Eager: not on CUDA.</summary>
    NotCuda,

    /// <summary>Eager: the attention mode is not <see cref="Model.PagedAttentionMode.DecodeKernel"/>.</summary>
    NotDecodeKernel,

    /// <summary>Eager: the paged decode kernel is not built for this model, or capture failed.</summary>
    Unavailable,

    /// <summary>Eager: a prefill chunk in the step (prefill or mixed), or a sequence longer than the buffers' block tables.</summary>
    NotDecodeOnly,

    /// <summary>Eager: more decodes than the largest bucket.</summary>
    OutsideBuckets,

    /// <summary>Eager: a layer observer (KV streaming, a test probe) needs each layer's end on the host.</summary>
    LayerObserver,
}
