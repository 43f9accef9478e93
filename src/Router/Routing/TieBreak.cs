using System.Collections.Immutable;

namespace Cluster.Router.Routing;

/// <summary>Lowest cost wins; candidates within a relative tolerance of the best are tied and one is drawn at random.</summary>
internal static class TieBreak
{
    /// <summary>Relative tolerance under which two costs count as equal.</summary>
    public const double Tolerance = 1e-9;

    public static RoutingCandidate Lowest(ImmutableArray<RoutingCandidate> candidates, Func<RoutingCandidate, double> cost, Random random)
    {
        var costs = candidates.Select(cost).ToArray();
        var best = costs.Min();
        var slack = Math.Abs(best) * Tolerance + Tolerance;
        var tied = Enumerable.Range(0, candidates.Length).Where(i => costs[i] <= best + slack).ToArray();
        return candidates[tied.Length == 1 ? tied[0] : tied[random.Next(tied.Length)]];
    }
}
