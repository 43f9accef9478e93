using System.Collections.Immutable;
using Cluster.ClusterState;

namespace Cluster.Router.Routing;

/// <summary>
/// Default decode policy: among workers with headroom (<see cref="DecodeHeadroom"/>), the lowest
/// <code>
/// cost(w) = running(w) / max batch(w) + (1 − free KV blocks after this request / total KV blocks)
///           [+ uncached prompt tokens on w / prompt tokens, only when w prefills the prompt itself]
/// </code>
/// i.e. the most batch slots and KV blocks left, each as a fraction in [0, 1]. When the decode worker prefills locally
/// (conditional disaggregation, recompute, migration) its cached prefix shortens that prefill, so the uncached
/// fraction joins the cost; the load terms stay, so a loaded worker holding the prefix can still lose. A worker
/// reporting no limit for a term (MaxBatch 0, TotalKvBlocks 0) scores 0 on it. Ties: the injected <see cref="Random"/>.
/// </summary>
public sealed class CacheAwareDecodePolicy(Random random) : IDecodePolicy
{
    public string Name => RoutingPolicyNames.CacheAware;

    public WorkerSelection Select(ImmutableArray<RoutingCandidate> candidates, PrefixOverlap overlap, RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(overlap);
        ArgumentNullException.ThrowIfNull(request);
        var (fitting, reason) = DecodeHeadroom.Filter(candidates, request);
        return fitting.IsEmpty ? WorkerSelection.NoCapacity(reason) : WorkerSelection.Of(TieBreak.Lowest(fitting, c => Cost(c, overlap, request), random));
    }

    /// <summary>The cost above (lower is better).</summary>
    public static double Cost(RoutingCandidate candidate, PrefixOverlap overlap, RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(overlap);
        ArgumentNullException.ThrowIfNull(request);
        var info = candidate.Worker.Info;
        var batch = info.MaxBatch > 0 ? (double)candidate.Running / info.MaxBatch : 0;
        var blocks = info.TotalKvBlocks > 0 ? 1 - ((double)(candidate.FreeKvBlocks - request.BlocksNeeded) / info.TotalKvBlocks) : 0;
        var cache = request.LocalPrefill ? (double)request.UncachedTokens(overlap.MatchedBlocks(candidate.Id)) / Math.Max(1, request.PromptTokens) : 0;
        return batch + blocks + cache;
    }
}
