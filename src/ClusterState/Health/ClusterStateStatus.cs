namespace Cluster.ClusterState.Health;

/// <summary>Where cluster state lives right now.</summary>
public enum ClusterStateStatus
{
    /// <summary>In this process (no Redis configured); always available.</summary>
    Embedded,

    /// <summary>Redis answered the last call.</summary>
    Available,

    /// <summary>Redis did not answer the last call: lookups answer "no overlap", event batches ask for a resync,
    /// registry reads serve the last snapshot.</summary>
    Unavailable,
}
