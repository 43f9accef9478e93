using System.Collections.Immutable;
using Cluster.ClusterState;

namespace Cluster.Router.Routing;

/// <summary>
/// Picks the prefill worker for a request. A pure function of its arguments (plus an injected Random for ties and,
/// for round-robin, a counter): the coordinator passes only live, not-excluded prefill-capable workers.
/// </summary>
public interface IPrefillPolicy
{
    /// <summary>The policy's name (<see cref="RoutingPolicyNames"/>).</summary>
    string Name { get; }

    /// <summary>Chooses among <paramref name="candidates"/>; <see cref="WorkerSelection.NoCapacity"/> when empty.</summary>
    WorkerSelection Select(ImmutableArray<RoutingCandidate> candidates, PrefixOverlap overlap, RoutingRequest request);
}
