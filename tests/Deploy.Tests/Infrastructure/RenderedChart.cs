using k8s;
using k8s.Models;
using YamlDotNet.Serialization;

namespace Cluster.Deploy.Tests.Infrastructure;

/// <summary>
/// One render of the chart: its documents (with the template each came from) and the Kubernetes objects, loaded with
/// KubernetesClient in strict mode (an unknown field fails). prometheus-operator kinds, which KubernetesClient has no
/// model of, are kept as plain maps (check.js validates them against @kubernetes-models/prometheus-operator).
/// </summary>
internal sealed class RenderedChart
{
    private RenderedChart(string text, IReadOnlyList<Document> documents)
    {
        Text = text;
        Documents = documents;
    }

    public string Text { get; }

    public IReadOnlyList<Document> Documents { get; }

    public IEnumerable<V1Deployment> Deployments => Objects<V1Deployment>();

    public IEnumerable<V1StatefulSet> StatefulSets => Objects<V1StatefulSet>();

    public IEnumerable<V1Service> Services => Objects<V1Service>();

    public IEnumerable<V1Secret> Secrets => Objects<V1Secret>();

    public IEnumerable<V1ConfigMap> ConfigMaps => Objects<V1ConfigMap>();

    public IEnumerable<V1PodDisruptionBudget> Budgets => Objects<V1PodDisruptionBudget>();

    public IEnumerable<V1Pod> Pods => Objects<V1Pod>();

    /// <summary>PodMonitor / ServiceMonitor objects as maps.</summary>
    public IEnumerable<Dictionary<object, object>> Monitors(string kind) =>
        Documents.Where(d => d.Kind == kind).Select(d => (Dictionary<object, object>)d.Object);

    public IEnumerable<T> Objects<T>() => Documents.Select(d => d.Object).OfType<T>();

    /// <summary>The Deployment of a component (router, prefill, decode, colocated), or null.</summary>
    public V1Deployment? Deployment(string component) =>
        Deployments.SingleOrDefault(d => d.Metadata.Labels["app.kubernetes.io/component"] == component);

    public static RenderedChart Parse(string text)
    {
        var documents = new List<Document>();
        foreach (var part in text.Split("\n---\n").Select(p => p.TrimStart('-', '\n')))
        {
            if (string.IsNullOrWhiteSpace(part))
            {
                continue;
            }

            var source = part.Split('\n').FirstOrDefault(l => l.StartsWith("# Source: ", StringComparison.Ordinal))?["# Source: ".Length..] ?? "";
            var map = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(part);
            var apiVersion = (string)map["apiVersion"];
            var kind = (string)map["kind"];
            var obj = apiVersion.StartsWith("monitoring.coreos.com/", StringComparison.Ordinal)
                ? map
                : KubernetesYaml.LoadAllFromString(part, strict: true).Single();
            documents.Add(new Document(source, apiVersion, kind, part, obj));
        }

        return new RenderedChart(text, documents);
    }

    /// <summary>A rendered document: the template it came from, its YAML text and the loaded object.</summary>
    public sealed record Document(string Source, string ApiVersion, string Kind, string Yaml, object Object);
}
