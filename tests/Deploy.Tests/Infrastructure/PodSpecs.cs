using k8s.Models;

namespace Cluster.Deploy.Tests.Infrastructure;

/// <summary>Small readers over rendered pod specs.</summary>
internal static class PodSpecs
{
    public static readonly string[] HostComponents = ["router", "prefill", "decode", "colocated"];

    /// <summary>Names that carry secrets (as ClusterRoleArgs.IsSecret judges configuration keys).</summary>
    public static bool IsSecretName(string name) =>
        name.StartsWith("Auth__", StringComparison.OrdinalIgnoreCase)
        || name.Contains("Password", StringComparison.OrdinalIgnoreCase)
        || name.Contains("Token", StringComparison.OrdinalIgnoreCase) && !name.Contains("Tokens", StringComparison.OrdinalIgnoreCase)
        || name.Contains("Secret", StringComparison.OrdinalIgnoreCase)
        || name.Equals("API_KEY", StringComparison.Ordinal)
        || name.Equals("REDISCLI_AUTH", StringComparison.Ordinal);

    public static V1Container MainContainer(this V1Deployment deployment) => deployment.Spec.Template.Spec.Containers.Single();

    public static V1EnvVar Env(this V1Container container, string name) =>
        container.Env.SingleOrDefault(e => e.Name == name) ?? throw new Xunit.Sdk.XunitException($"{container.Name} has no env {name}");

    public static string? EnvValue(this V1Container container, string name) => container.Env.SingleOrDefault(e => e.Name == name)?.Value;

    public static IEnumerable<V1Container> AllContainers(this V1PodSpec spec) => spec.Containers.Concat(spec.InitContainers ?? []);

    public static IEnumerable<V1PodSpec> PodSpecsOf(RenderedChart chart) =>
        chart.Deployments.Select(d => d.Spec.Template.Spec)
            .Concat(chart.StatefulSets.Select(s => s.Spec.Template.Spec))
            .Concat(chart.Pods.Select(p => p.Spec));

    public static bool Selects(IDictionary<string, string> selector, IDictionary<string, string>? labels) =>
        labels is not null && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
