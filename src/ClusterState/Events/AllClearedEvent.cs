namespace Cluster.ClusterState.Events;

/// <summary>The worker dropped its whole prefix cache.</summary>
/// <param name="Sequence">The worker's event sequence number.</param>
public sealed record AllClearedEvent(long Sequence) : KvEvent(Sequence);
