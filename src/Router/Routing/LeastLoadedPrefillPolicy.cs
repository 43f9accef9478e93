using System.Collections.Immutable;
using Cluster.ClusterState;

namespace Cluster.Router.Routing;

/// <summary>
/// The prefill worker with the fewest queued prefill tokens (then the fewest prefills in flight from the routers it knows of),
/// ignoring the prefix cache. Ties are broken by the injected <see cref="Random"/>.
/// </summary>
public sealed class LeastLoadedPrefillPolicy(Random random) : IPrefillPolicy
{
    public string Name => RoutingPolicyNames.LeastLoaded;

    public WorkerSelection Select(ImmutableArray<RoutingCandidate> candidates, PrefixOverlap overlap, RoutingRequest request) =>
        candidates.IsDefaultOrEmpty
            ? WorkerSelection.NoCapacity("no live prefill worker")
            : WorkerSelection.Of(TieBreak.Lowest(candidates, c => c.QueuedPrefillTokens + (c.RoutersPrefills * 1e-3), random));
}
