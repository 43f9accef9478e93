using Cluster.Core.Hashing;

namespace Cluster.ClusterState.Events;

/// <summary>The worker now holds these full blocks in its prefix cache.</summary>
/// <param name="Sequence">The worker's event sequence number.</param>
/// <param name="Blocks">Chained hashes of the stored blocks.</param>
public sealed record BlockStoredEvent(long Sequence, IReadOnlyList<BlockHash> Blocks) : KvEvent(Sequence);
