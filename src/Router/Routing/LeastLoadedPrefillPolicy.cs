using System.Collections.Immutable;
using Cluster.ClusterState;

namespace Cluster.Router.Routing;

/// <summary>
/// The prefill worker with the fewest prefill tokens queued ahead of the request (then the fewest prefills in flight from
/// the routers it knows of), ignoring the prefix cache: for a normal (online) request the normal-priority queue, for a
/// low-priority (batch) one all of it (<see cref="RoutingCandidate.QueuedPrefillTokensAhead"/>). Ties are broken by the
/// injected <see cref="Random"/>.
/// </summary>
public sealed class LeastLoadedPrefillPolicy(Random random) : IPrefillPolicy
{
    public string Name => RoutingPolicyNames.LeastLoaded;

    public WorkerSelection Select(ImmutableArray<RoutingCandidate> candidates, PrefixOverlap overlap, RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return candidates.IsDefaultOrEmpty
            ? WorkerSelection.NoCapacity("no live prefill worker")
            : WorkerSelection.Of(TieBreak.Lowest(candidates, c => c.QueuedPrefillTokensAhead(request.Priority) + (c.RoutersPrefills * 1e-3), random));
    }
}
