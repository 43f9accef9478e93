using Cluster.ClusterState;
using Cluster.Core.Ids;

namespace Cluster.Router.Routing;

/// <summary>Disaggregates every request that meets the floor <c>Routing:MinDisaggregatedTokens</c>; learns nothing.</summary>
public sealed class ThresholdDisaggregationPolicy : IDisaggregationPolicy
{
    public string Name => DisaggregationPolicyNames.Threshold;

    public DisaggregationDecision Decide(RoutingCandidate prefill, RoutingCandidate decode, PrefixOverlap overlap, RoutingRequest request) => new(true, "threshold");

    public void Observe(WorkerId decode, TransferSample sample)
    {
    }
}
