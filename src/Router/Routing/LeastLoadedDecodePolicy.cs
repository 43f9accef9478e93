using System.Collections.Immutable;
using Cluster.ClusterState;

namespace Cluster.Router.Routing;

/// <summary>
/// Among decode workers with headroom, the one running the fewest sequences (then the most free KV blocks), ignoring
/// the prefix cache. Ties are broken by the injected <see cref="Random"/>.
/// </summary>
public sealed class LeastLoadedDecodePolicy(Random random) : IDecodePolicy
{
    public string Name => RoutingPolicyNames.LeastLoaded;

    public WorkerSelection Select(ImmutableArray<RoutingCandidate> candidates, PrefixOverlap overlap, RoutingRequest request)
    {
        var (fitting, reason) = DecodeHeadroom.Filter(candidates, request);
        return fitting.IsEmpty
            ? WorkerSelection.NoCapacity(reason)
            : WorkerSelection.Of(TieBreak.Lowest(fitting, c => c.Running - (Math.Min(c.FreeKvBlocks, 1 << 30) / (double)(1L << 31)), random));
    }
}
