using Cluster.Deploy.Tests.Infrastructure;
using k8s.Models;

namespace Cluster.Deploy.Tests;

/// <summary>
/// The router pods' Orleans router tier (issue 14/16): each silo advertises its pod IP on fixed ports (so router replicas
/// reach each other), under a cluster id unique to the release and namespace (so two installs on one Redis stay two
/// clusters), and the silo ports are container ports only, never on the Service.
/// </summary>
public sealed class RouterTierChartTests
{
    public static TheoryData<string> Examples => [.. Repo.ExampleNames];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Router_AdvertisesItsPodIp_OnTheFixedSiloAndGatewayPorts_UnderTheReleaseClusterId(string example)
    {
        var chart = ChartRenderer.RenderOk(Repo.Example(example));
        var router = chart.Deployment("router")!.MainContainer();

        Assert.Equal("status.podIP", router.Env("RouterTier__AdvertisedAddress").ValueFrom?.FieldRef?.FieldPath);
        Assert.Equal("11111", router.EnvValue("RouterTier__SiloPort"));
        Assert.Equal("30000", router.EnvValue("RouterTier__GatewayPort"));
        Assert.Equal(11111, Port(router, "silo"));
        Assert.Equal(30000, Port(router, "gateway"));
        Assert.Equal($"{ChartRenderer.Release}.{ChartRenderer.Namespace}", router.EnvValue("RouterTier__ClusterId"));
        Assert.DoesNotContain(router.Env, e => e.Name == "RouterTier__Enabled");

        var service = chart.Services.Single(s => s.Metadata.Name == chart.Deployment("router")!.Metadata.Name);
        Assert.Equal(["grpc", "http"], service.Spec.Ports.Select(p => p.Name).Order());
        foreach (var worker in chart.Deployments.Where(d => d != chart.Deployment("router")))
        {
            Assert.DoesNotContain(worker.MainContainer().Env, e => e.Name.StartsWith("RouterTier__", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ClusterId_DiffersPerReleaseAndPerNamespace_AndNamesTheRelease()
    {
        string Id(string release, string ns) =>
            ChartRenderer.RenderOk([Repo.Example("tiny-cpu")], chart: null, release, ns).Deployment("router")!.MainContainer().EnvValue("RouterTier__ClusterId")!;

        var ids = new[] { Id("alpha", "llm"), Id("beta", "llm"), Id("alpha", "other") };

        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Contains("alpha", ids[0], StringComparison.Ordinal);
        Assert.Contains("beta", ids[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Values_SetPortsAndClusterId()
    {
        var chart = ChartRenderer.RenderExample("gpu-4p4d", "router: {tier: {siloPort: 7000, gatewayPort: 7001, clusterId: shared-routers}}\n");
        var router = chart.Deployment("router")!.MainContainer();

        Assert.Equal(("7000", "7001"), (router.EnvValue("RouterTier__SiloPort"), router.EnvValue("RouterTier__GatewayPort")));
        Assert.Equal((7000, 7001), (Port(router, "silo"), Port(router, "gateway")));
        Assert.Equal("shared-routers", router.EnvValue("RouterTier__ClusterId"));
    }

    [Fact]
    public void Disabled_RouterRunsWithoutASilo_AndHasNoSiloPorts()
    {
        var router = ChartRenderer.RenderExample("tiny-cpu", "router: {tier: {enabled: false}}\n").Deployment("router")!.MainContainer();

        Assert.Equal("false", router.EnvValue("RouterTier__Enabled"));
        Assert.Equal(["RouterTier__Enabled"], router.Env.Where(e => e.Name.StartsWith("RouterTier__", StringComparison.Ordinal)).Select(e => e.Name));
        Assert.Equal(["grpc", "http"], router.Ports.Select(p => p.Name).Order());
    }

    private static int? Port(V1Container container, string name) => container.Ports.SingleOrDefault(p => p.Name == name)?.ContainerPort;
}
