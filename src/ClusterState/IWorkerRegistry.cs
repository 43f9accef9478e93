using System.Collections.Immutable;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;

namespace Cluster.ClusterState;

/// <summary>
/// Live workers, their endpoints, capacity and load (ARCHITECTURE §5). A worker is live while its heartbeat has not
/// expired; a dead worker disappears from lists and <see cref="RemoveExpiredAsync"/> removes it and its prefix-index
/// entries. No method throws because the backing store is unreachable.
/// </summary>
public interface IWorkerRegistry
{
    /// <summary>Registers (or re-registers) a worker with its initial load; it stays live for <paramref name="heartbeatTtl"/>
    /// (default: <c>ClusterState:HeartbeatTtl</c>) after this and after each heartbeat.</summary>
    Task<RegistryOutcome> RegisterAsync(WorkerInfo info, WorkerLoad load, TimeSpan? heartbeatTtl = null, CancellationToken cancellationToken = default);

    /// <summary>Extends the worker's life and records its load. <see cref="RegistryOutcome.NotRegistered"/> when it had
    /// already expired or was never registered: register again and re-publish the block set.</summary>
    Task<RegistryOutcome> HeartbeatAsync(WorkerId worker, WorkerLoad load, CancellationToken cancellationToken = default);

    /// <summary>Removes a worker at graceful shutdown, with its prefix-index entries.</summary>
    Task<RegistryOutcome> DeregisterAsync(WorkerId worker, CancellationToken cancellationToken = default);

    /// <summary>Live workers, ordered by id, optionally only those of one model and/or role. When the store is unreachable,
    /// the last snapshot read from it (filtered the same way).</summary>
    Task<ImmutableArray<WorkerSnapshot>> ListAsync(ModelId? model = null, WorkerRole? role = null, CancellationToken cancellationToken = default);

    /// <summary>Removes every worker whose heartbeat expired, with its prefix-index entries; returns how many. The
    /// sweeper (<see cref="Hosting.ExpiredWorkerSweeper"/>) calls this periodically.</summary>
    Task<int> RemoveExpiredAsync(CancellationToken cancellationToken = default);
}
