using System.Collections.Immutable;
using Cluster.ClusterState;

namespace Cluster.Router.Routing;

/// <summary>
/// Picks the decode worker for a request. A pure function of its arguments (plus an injected Random for ties and,
/// for round-robin, a counter): the coordinator passes only live, not-excluded decode-capable workers. A worker without
/// headroom (<see cref="DecodeHeadroom"/>) is never chosen: when none has any, the answer is
/// <see cref="WorkerSelection.NoCapacity"/> and the request waits in the admission queue.
/// </summary>
public interface IDecodePolicy
{
    /// <summary>The policy's name (<see cref="RoutingPolicyNames"/>).</summary>
    string Name { get; }

    /// <summary>Chooses among <paramref name="candidates"/>.</summary>
    WorkerSelection Select(ImmutableArray<RoutingCandidate> candidates, PrefixOverlap overlap, RoutingRequest request);
}
