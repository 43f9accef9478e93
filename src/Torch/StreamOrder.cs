namespace Cluster.Torch;

/// <summary>How a <see cref="HostStaging"/> copy is ordered against the work queued on the caller's current CUDA stream.</summary>
public enum StreamOrder
{
    /// <summary>After the work queued so far on the caller's stream (which also waits for an import): always correct.</summary>
    AfterQueuedWork,

    /// <summary>
    /// Neither waits for the caller's queued work nor makes it wait: for rows no queued kernel reads or writes (blocks a
    /// KV reservation owns; KV a finished step wrote). A copy still completes before the call returns.
    /// </summary>
    Independent,
}
