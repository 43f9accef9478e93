namespace Cluster.Router.Orleans.Hosting;

/// <summary><c>RouterTier:KubernetesHosting</c>: whether the silo runs Orleans' Kubernetes hosting.</summary>
public enum KubernetesHostingMode
{
    /// <summary>On when the pod environment (<see cref="KubernetesHosting.RequiredVariables"/>) and Redis clustering are present.</summary>
    Auto,

    /// <summary>Always; start-up fails naming what is missing.</summary>
    On,

    /// <summary>Never.</summary>
    Off,
}

/// <summary>
/// Orleans' Kubernetes hosting (Microsoft.Orleans.Hosting.Kubernetes) next to Redis membership: the silos watch the
/// router pods and delete the pods of defunct silos (the package's documentation; never run against an API server here).
/// Redis stays the membership table.
/// </summary>
public static class KubernetesHosting
{
    /// <summary>The downward-API variables the library reads (pod name, namespace, IP), set by the chart.</summary>
    public static readonly IReadOnlyList<string> RequiredVariables = ["POD_NAME", "POD_NAMESPACE", "POD_IP"];

    /// <summary>The required variables that are unset or blank.</summary>
    public static IReadOnlyList<string> Missing(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return [.. RequiredVariables.Where(v => string.IsNullOrWhiteSpace(environment(v)))];
    }

    /// <summary>
    /// Whether to call <c>UseKubernetesHosting</c>: <see cref="KubernetesHostingMode.On"/> or
    /// <see cref="KubernetesHostingMode.Auto"/> with the pod environment and Redis clustering present. An <c>On</c>
    /// without them answers false here and fails start-up through <see cref="RouterTierOptionsValidator"/>.
    /// </summary>
    public static bool IsEnabled(KubernetesHostingMode mode, Func<string, string?> environment, bool redisClustering) =>
        mode != KubernetesHostingMode.Off && redisClustering && Missing(environment).Count == 0;

    /// <summary>Why <c>On</c> cannot work here, or null.</summary>
    public static string? Problem(KubernetesHostingMode mode, Func<string, string?> environment, bool redisClustering)
    {
        if (mode != KubernetesHostingMode.On)
        {
            return null;
        }

        var problems = new List<string>();
        var missing = Missing(environment);
        if (missing.Count > 0)
        {
            problems.Add($"the pod environment variables {string.Join(", ", missing)} are not set (the chart sets them from the downward API)");
        }

        if (!redisClustering)
        {
            problems.Add("ClusterState:RedisConnectionString is not set (Kubernetes hosting keeps Redis as the membership table)");
        }

        return problems.Count == 0 ? null : $"RouterTier:KubernetesHosting is On but {string.Join("; and ", problems)}: set them or use Auto/Off.";
    }
}
