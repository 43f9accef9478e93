using System.Collections.Immutable;
using Cluster.ClusterState;

namespace Cluster.Router.Routing;

/// <summary>Each decode worker with headroom in turn (candidates arrive ordered by id). Its only state is the turn counter.</summary>
public sealed class RoundRobinDecodePolicy : IDecodePolicy
{
    private int _turn = -1;

    public string Name => RoutingPolicyNames.RoundRobin;

    public WorkerSelection Select(ImmutableArray<RoutingCandidate> candidates, PrefixOverlap overlap, RoutingRequest request)
    {
        var (fitting, reason) = DecodeHeadroom.Filter(candidates, request);
        if (fitting.IsEmpty)
        {
            return WorkerSelection.NoCapacity(reason);
        }

        var turn = (uint)Interlocked.Increment(ref _turn);
        return WorkerSelection.Of(fitting[(int)(turn % (uint)fitting.Length)]);
    }
}
