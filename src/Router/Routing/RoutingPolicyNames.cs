namespace Cluster.Router.Routing;

/// <summary>The names accepted by <c>Routing:PrefillPolicy</c> and <c>Routing:DecodePolicy</c> (validated at start-up).</summary>
public static class RoutingPolicyNames
{
    /// <summary>Prefill: lowest estimated time to first token (cached prefix and queue); decode: most headroom.</summary>
    public const string CacheAware = "cache-aware";

    /// <summary>The least loaded worker, ignoring the prefix cache.</summary>
    public const string LeastLoaded = "least-loaded";

    /// <summary>Each worker in turn (decode: skipping workers without headroom).</summary>
    public const string RoundRobin = "round-robin";

    /// <summary>Every accepted name.</summary>
    public static IReadOnlyList<string> All { get; } = [CacheAware, LeastLoaded, RoundRobin];
}
