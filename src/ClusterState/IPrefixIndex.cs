using Cluster.ClusterState.Events;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;

namespace Cluster.ClusterState;

/// <summary>
/// Which KV blocks (by chained <see cref="BlockHash"/>) are cached on which worker, per model (ARCHITECTURE §5).
/// No method throws because the backing store is unreachable: reads answer "no overlap", writes answer
/// <see cref="IndexWriteOutcome.ResyncRequired"/>.
/// </summary>
public interface IPrefixIndex
{
    /// <summary>
    /// Applies a worker's event batch atomically, if and only if its first sequence number is exactly one past the last
    /// one applied for that worker and model (0 when the index holds nothing for it). Otherwise nothing is applied and the
    /// answer is <see cref="IndexWriteOutcome.ResyncRequired"/>.
    /// </summary>
    Task<IndexWriteOutcome> ApplyAsync(KvEventBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces everything the index holds for the worker and model with exactly <paramref name="blocks"/>, and records
    /// <paramref name="lastSequence"/> as applied (the next batch must start at <paramref name="lastSequence"/> + 1).
    /// </summary>
    Task<IndexWriteOutcome> ReplaceAllAsync(ModelId model, WorkerId worker, IReadOnlyCollection<BlockHash> blocks, long lastSequence, CancellationToken cancellationToken = default);

    /// <summary>Per worker, the number of leading blocks of <paramref name="promptBlocks"/> it holds. One round trip.</summary>
    Task<PrefixOverlap> FindOverlapAsync(ModelId model, IReadOnlyList<BlockHash> promptBlocks, CancellationToken cancellationToken = default);

    /// <summary>Forgets every block and the sequence number of the worker for the model. False when the store was unreachable.</summary>
    Task<bool> RemoveWorkerAsync(ModelId model, WorkerId worker, CancellationToken cancellationToken = default);
}
