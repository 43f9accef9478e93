using Cluster.Deploy.Tests.Infrastructure;
using k8s;

namespace Cluster.Deploy.Tests;

/// <summary>Every rendered object loads with KubernetesClient 21.0.8 in strict mode: no unknown field, no wrong shape.</summary>
public sealed class StrictLoadTests
{
    public static TheoryData<string> Examples => [.. Repo.ExampleNames];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_EveryObject_LoadsStrictly(string example)
    {
        var chart = ChartRenderer.RenderOk(Repo.Example(example));
        Assert.NotEmpty(chart.Documents);
        Assert.All(chart.Documents, d => Assert.False(string.IsNullOrEmpty(d.Source)));
        Assert.All(chart.Documents.Where(d => !d.ApiVersion.StartsWith("monitoring.coreos.com/", StringComparison.Ordinal)),
            d => Assert.IsNotType<Dictionary<object, object>>(d.Object));
    }

    [Fact]
    public void StrictLoad_UnknownField_Fails()
    {
        // The check has teeth: a misspelled field in a rendered Deployment is refused in strict mode.
        var chart = ChartRenderer.RenderOk(Repo.Example("tiny-cpu"));
        var yaml = chart.Documents.First(d => d.Kind == "Deployment").Yaml.Replace("  replicas:", "  replica:", StringComparison.Ordinal);
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(yaml, strict: true));
        Assert.Single(KubernetesYaml.LoadAllFromString(yaml, strict: false));
    }
}
