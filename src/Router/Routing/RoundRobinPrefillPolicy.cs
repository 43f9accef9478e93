using System.Collections.Immutable;
using Cluster.ClusterState;

namespace Cluster.Router.Routing;

/// <summary>Each prefill worker in turn (candidates arrive ordered by id). Its only state is the turn counter.</summary>
public sealed class RoundRobinPrefillPolicy : IPrefillPolicy
{
    private int _turn = -1;

    public string Name => RoutingPolicyNames.RoundRobin;

    public WorkerSelection Select(ImmutableArray<RoutingCandidate> candidates, PrefixOverlap overlap, RoutingRequest request)
    {
        if (candidates.IsDefaultOrEmpty)
        {
            return WorkerSelection.NoCapacity("no live prefill worker");
        }

        var turn = (uint)Interlocked.Increment(ref _turn);
        return WorkerSelection.Of(candidates[(int)(turn % (uint)candidates.Length)]);
    }
}
