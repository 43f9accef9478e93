using System.Collections.Immutable;

namespace Cluster.Router.Routing;

/// <summary>Whether a decode worker can take one more request: enough free KV blocks and a free batch slot.</summary>
public static class DecodeHeadroom
{
    /// <summary>True when <paramref name="candidate"/> can hold <paramref name="request"/> now.</summary>
    public static bool Fits(RoutingCandidate candidate, RoutingRequest request) =>
        candidate.FreeBatchSlots > 0 && candidate.FreeKvBlocks >= request.BlocksNeeded;

    /// <summary>The candidates that fit, or the reason none does.</summary>
    public static (ImmutableArray<RoutingCandidate> Fitting, string Reason) Filter(ImmutableArray<RoutingCandidate> candidates, RoutingRequest request)
    {
        if (candidates.IsDefaultOrEmpty)
        {
            return ([], "no live decode worker");
        }

        var fitting = candidates.Where(c => Fits(c, request)).ToImmutableArray();
        return fitting.IsEmpty
            ? (fitting, $"no decode worker has headroom for {request.BlocksNeeded} KV blocks and a batch slot ({candidates.Length} live, all full)")
            : (fitting, string.Empty);
    }
}
