namespace Cluster.ClusterState.Events;

/// <summary>
/// Something that happened to a worker's KV cache. <paramref name="Sequence"/> is per worker, starts at 1 and
/// grows by exactly one per event; the prefix index uses it to detect lost events.
/// </summary>
/// <param name="Sequence">The worker's event sequence number (≥ 1).</param>
public abstract record KvEvent(long Sequence);
