using Cluster.Core.Hashing;

namespace Cluster.ClusterState.Events;

/// <summary>The worker evicted these blocks.</summary>
/// <param name="Sequence">The worker's event sequence number.</param>
/// <param name="Blocks">Chained hashes of the removed blocks.</param>
public sealed record BlockRemovedEvent(long Sequence, IReadOnlyList<BlockHash> Blocks) : KvEvent(Sequence);
