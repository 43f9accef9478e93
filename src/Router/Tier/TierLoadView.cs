using System.Collections.Concurrent;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Cluster.Router.Orleans.Grains;
using Cluster.Router.Routing;

namespace Cluster.Router.Tier;

/// <summary>
/// <see cref="IOtherRoutersLoad"/> of the router tier: the work every other router has admitted (decodes) or reported
/// (prefills in flight) per worker, as <see cref="TierLoadRefresher"/> last read it from the worker grains. Reading it costs no grain call, so the policies
/// see the tier's global load on the decision path for free. A worker with no reading counts nothing from other
/// routers (the heartbeat still shows their work).
/// </summary>
public sealed class TierLoadView : IOtherRoutersLoad
{
    private readonly ConcurrentDictionary<WorkerId, WorkerLoadShare> _others = new();

    /// <summary>Workers with a reading, and that reading.</summary>
    public IReadOnlyDictionary<WorkerId, WorkerLoadShare> Readings => _others;

    public RouterInFlight Get(WorkerId worker) =>
        _others.TryGetValue(worker, out var share) ? new RouterInFlight(share.Prefills, share.PrefillTokens, share.Requests, share.Blocks, share.LowPriorityPrefillTokens) : RouterInFlight.None;

    /// <summary>Records a reading of <paramref name="worker"/>'s grain.</summary>
    public void Set(WorkerId worker, WorkerLoadShare share) => _others[worker] = share;

    /// <summary>Forgets <paramref name="worker"/> (its grain did not answer, or it left).</summary>
    public void Forget(WorkerId worker) => _others.TryRemove(worker, out _);
}
