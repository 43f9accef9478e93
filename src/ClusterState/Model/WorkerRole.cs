namespace Cluster.ClusterState.Model;

/// <summary>What a worker does with requests (ARCHITECTURE §1).</summary>
public enum WorkerRole
{
    /// <summary>Processes prompts and pushes their KV cache to a decode worker.</summary>
    Prefill,

    /// <summary>Receives KV caches and generates tokens.</summary>
    Decode,

    /// <summary>Prefill and decode on one engine (the baseline and single-process mode).</summary>
    Colocated,
}
