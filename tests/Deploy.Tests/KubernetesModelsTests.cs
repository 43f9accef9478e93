using Cluster.Deploy.Tests.Infrastructure;

namespace Cluster.Deploy.Tests;

/// <summary>
/// Every rendered object satisfies the OpenAPI schema of its kind (required fields, types, formats): npm
/// kubernetes-models 4.5.1 for core kinds, @kubernetes-models/prometheus-operator for PodMonitor and ServiceMonitor.
/// </summary>
public sealed class KubernetesModelsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deploy-models-").FullName;

    [Fact]
    public void Examples_EveryObject_MatchesItsSchema()
    {
        var files = Repo.ExampleNames.Select(name =>
        {
            var path = Path.Combine(_dir, $"{name}.yaml");
            File.WriteAllText(path, ChartRenderer.RenderOk(Repo.Example(name)).Text);
            return path;
        }).ToList();

        var outcomes = NodeChecks.Manifests(files);
        Assert.All(outcomes, o => Assert.True(o.Ok, o.ToString()));
        Assert.Equal(files.Count, outcomes.Select(o => o.File).Distinct().Count());
        Assert.Contains(outcomes, o => o.Name.StartsWith("PodMonitor/", StringComparison.Ordinal));
        Assert.Contains(outcomes, o => o.Name.StartsWith("ServiceMonitor/", StringComparison.Ordinal));
        Assert.Contains(outcomes, o => o.Name.StartsWith("StatefulSet/", StringComparison.Ordinal));
    }

    [Fact]
    public void Manifests_MissingRequiredFieldOrWrongType_AreReported()
    {
        var path = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(path, """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: bad}
            spec:
              replicas: two
              template: {}
            ---
            apiVersion: monitoring.coreos.com/v1
            kind: PodMonitor
            metadata: {name: bad}
            spec:
              podMetricsEndpoints: "not a list"
            """);
        var outcomes = NodeChecks.Manifests([path]);
        Assert.Equal(2, outcomes.Count);
        Assert.All(outcomes, o => Assert.False(o.Ok));
        Assert.Contains("selector", outcomes[0].Errors[0], StringComparison.Ordinal);
        Assert.Contains("replicas", outcomes[0].Errors[0], StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
