namespace Cluster.ClusterState.Events;

/// <summary>Result of a prefix-index write. Shortfalls are values, never exceptions (CONVENTIONS §5).</summary>
public enum IndexWriteOutcome
{
    /// <summary>The write is in the index.</summary>
    Applied,

    /// <summary>
    /// Nothing was written and the index no longer mirrors this worker: a sequence gap (lost or repeated events),
    /// state lost in a Redis restart, or Redis unreachable right now. The worker must call
    /// <see cref="IPrefixIndex.ReplaceAllAsync"/> with its full block set, and keep calling it until it returns
    /// <see cref="Applied"/>.
    /// </summary>
    ResyncRequired,
}
