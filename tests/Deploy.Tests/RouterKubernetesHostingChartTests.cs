using Cluster.Deploy.Tests.Infrastructure;
using k8s.Models;

namespace Cluster.Deploy.Tests;

/// <summary>
/// router.tier.kubernetesHosting: with it the router pods carry the downward-API environment Orleans' Kubernetes hosting
/// reads, the orleans/serviceId and orleans/clusterId labels, and a service account allowed get/list/watch/delete on pods
/// of the namespace only; without it none of these. Whether the silo then runs on a real cluster is not tested here.
/// </summary>
public sealed class RouterKubernetesHostingChartTests
{
    private static readonly string[] PodVariables = ["POD_NAME", "POD_NAMESPACE", "POD_IP"];

    [Theory]
    [InlineData("router: {replicas: 2}\n")]
    [InlineData("router: {replicas: 1, tier: {kubernetesHosting: \"on\"}}\n")]
    [InlineData("router: {replicas: 1, tier: {kubernetesHosting: true}}\n")]
    public void Enabled_SetsPodEnvironment_Labels_AndNamespacedRbac(string yaml)
    {
        var chart = ChartRenderer.RenderExample("tiny-cpu", yaml);
        var deployment = chart.Deployment("router")!;
        var router = deployment.MainContainer();
        var pod = deployment.Spec.Template;

        Assert.Equal("On", router.EnvValue("RouterTier__KubernetesHosting"));
        Assert.Equal(["metadata.name", "metadata.namespace", "status.podIP"], PodVariables.Select(v => router.Env(v).ValueFrom?.FieldRef?.FieldPath));
        var id = router.EnvValue("RouterTier__ClusterId");
        Assert.Equal(id, pod.Metadata.Labels["orleans/serviceId"]);
        Assert.Equal(id, pod.Metadata.Labels["orleans/clusterId"]);
        Assert.DoesNotContain("orleans/serviceId", deployment.Spec.Selector.MatchLabels.Keys);
        Assert.True(pod.Spec.AutomountServiceAccountToken);

        var account = Single<V1ServiceAccount>(chart);
        var role = Single<V1Role>(chart);
        var binding = Single<V1RoleBinding>(chart);
        Assert.Equal(account.Metadata.Name, pod.Spec.ServiceAccountName);
        var rule = Assert.Single(role.Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["pods"], rule.Resources);
        Assert.Equal(["delete", "get", "list", "watch"], rule.Verbs.Order());
        Assert.Null(rule.ResourceNames);
        Assert.Equal(("Role", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", account.Metadata.Name, ChartRenderer.Namespace), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.DoesNotContain(chart.Documents, d => d.Kind is "ClusterRole" or "ClusterRoleBinding");

        foreach (var other in chart.Deployments.Where(d => d != deployment))
        {
            Assert.False(other.Spec.Template.Spec.AutomountServiceAccountToken);
            Assert.DoesNotContain(other.MainContainer().Env, e => PodVariables.Contains(e.Name));
        }
    }

    [Theory]
    [InlineData("router: {replicas: 1}\n")]
    [InlineData("router: {replicas: 3, tier: {kubernetesHosting: \"off\"}}\n")]
    [InlineData("router: {replicas: 3, tier: {kubernetesHosting: false}}\n")]
    [InlineData("router: {replicas: 3, tier: {enabled: false, kubernetesHosting: \"on\"}}\n")]
    public void Disabled_HasNoPodEnvironment_Labels_Token_OrRbac(string yaml)
    {
        var chart = ChartRenderer.RenderExample("tiny-cpu", yaml);
        var deployment = chart.Deployment("router")!;
        var router = deployment.MainContainer();

        Assert.DoesNotContain(router.Env, e => PodVariables.Contains(e.Name));
        Assert.NotEqual("On", router.EnvValue("RouterTier__KubernetesHosting"));
        Assert.DoesNotContain(deployment.Spec.Template.Metadata.Labels.Keys, k => k.StartsWith("orleans/", StringComparison.Ordinal));
        Assert.False(deployment.Spec.Template.Spec.AutomountServiceAccountToken);
        Assert.Null(deployment.Spec.Template.Spec.ServiceAccountName);
        Assert.DoesNotContain(chart.Documents, d => d.Kind is "ServiceAccount" or "Role" or "RoleBinding");
    }

    [Fact]
    public void Enabled_WithAClusterIdTooLongForALabel_FailsNamingTheValue()
    {
        using var values = new TempValues($"router: {{replicas: 2, tier: {{clusterId: {new string('a', 64)}}}}}\n");
        var result = ChartRenderer.Render([Repo.Example("tiny-cpu"), .. values.Paths]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("set router.tier.clusterId", result.Error, StringComparison.Ordinal);
    }

    private static T Single<T>(RenderedChart chart) => Assert.Single(chart.Documents.Select(d => d.Object).OfType<T>());
}
