namespace Cluster.Router.Routing;

/// <summary>Creates policies by name (<see cref="RoutingPolicyNames"/>); unknown names are refused at start-up by the options validator.</summary>
public static class RoutingPolicyFactory
{
    /// <summary>The prefill policy called <paramref name="name"/>.</summary>
    public static IPrefillPolicy CreatePrefill(string name, Random random, double defaultPrefillTokensPerSecond = CacheAwarePrefillPolicy.DefaultPrefillTokensPerSecond) => name switch
    {
        RoutingPolicyNames.CacheAware => new CacheAwarePrefillPolicy(random, defaultPrefillTokensPerSecond),
        RoutingPolicyNames.LeastLoaded => new LeastLoadedPrefillPolicy(random),
        RoutingPolicyNames.RoundRobin => new RoundRobinPrefillPolicy(),
        _ => throw Unknown("PrefillPolicy", name),
    };

    /// <summary>The decode policy called <paramref name="name"/>.</summary>
    public static IDecodePolicy CreateDecode(string name, Random random) => name switch
    {
        RoutingPolicyNames.CacheAware => new CacheAwareDecodePolicy(random),
        RoutingPolicyNames.LeastLoaded => new LeastLoadedDecodePolicy(random),
        RoutingPolicyNames.RoundRobin => new RoundRobinDecodePolicy(),
        _ => throw Unknown("DecodePolicy", name),
    };

    /// <summary>The disaggregation policy called <paramref name="name"/> (<see cref="DisaggregationPolicyNames"/>).</summary>
    public static IDisaggregationPolicy CreateDisaggregation(string name, double transferCostSmoothing, double defaultPrefillTokensPerSecond) => name switch
    {
        DisaggregationPolicyNames.MeasuredCost => new MeasuredCostDisaggregationPolicy(transferCostSmoothing, defaultPrefillTokensPerSecond),
        DisaggregationPolicyNames.Threshold => new ThresholdDisaggregationPolicy(),
        _ => throw Unknown("DisaggregationPolicy", name, DisaggregationPolicyNames.All),
    };

    private static ArgumentException Unknown(string option, string name, IReadOnlyList<string>? names = null) =>
        new($"Routing:{option} '{name}' is unknown: use one of {string.Join(", ", names ?? RoutingPolicyNames.All)}.", nameof(name));
}
