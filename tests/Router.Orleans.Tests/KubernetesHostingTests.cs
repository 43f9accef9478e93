using Cluster.Router.Orleans.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Orleans.Tests;

/// <summary>
/// <c>RouterTier:KubernetesHosting</c>: when Orleans' Kubernetes hosting is added, and the start-up failure of On without
/// the pod environment. The silo with Kubernetes hosting itself needs a Kubernetes API server: not tested here.
/// </summary>
public sealed class KubernetesHostingTests
{
    private static readonly Dictionary<string, string?> Pod = new()
    {
        ["POD_NAME"] = "cluster-router-0",
        ["POD_NAMESPACE"] = "llm",
        ["POD_IP"] = "10.0.0.7",
    };

    private static Func<string, string?> Env(IReadOnlyDictionary<string, string?> values) => name => values.GetValueOrDefault(name);

    private static Func<string, string?> Without(string name) => Env(Pod.Where(p => p.Key != name).ToDictionary());

    [Theory]
    [InlineData(KubernetesHostingMode.Auto, true, true, true)]
    [InlineData(KubernetesHostingMode.Auto, false, true, false)]
    [InlineData(KubernetesHostingMode.Auto, true, false, false)]
    [InlineData(KubernetesHostingMode.On, true, true, true)]
    [InlineData(KubernetesHostingMode.Off, true, true, false)]
    public void IsEnabled_NeedsThePodEnvironmentAndRedis(KubernetesHostingMode mode, bool pod, bool redis, bool expected) =>
        Assert.Equal(expected, KubernetesHosting.IsEnabled(mode, pod ? Env(Pod) : Env(new Dictionary<string, string?>()), redis));

    [Theory]
    [InlineData("POD_NAME")]
    [InlineData("POD_NAMESPACE")]
    [InlineData("POD_IP")]
    public void Auto_WithOneVariableMissing_IsOff_AndOnFailsNamingIt(string missing)
    {
        Assert.False(KubernetesHosting.IsEnabled(KubernetesHostingMode.Auto, Without(missing), redisClustering: true));

        var result = new RouterTierOptionsValidator(Without(missing), redisClustering: true)
            .Validate(null, new RouterTierOptions { KubernetesHosting = KubernetesHostingMode.On });

        Assert.True(result.Failed);
        Assert.Matches($@"\b{missing}\b", result.FailureMessage);
        Assert.Contains("RouterTier:KubernetesHosting", result.FailureMessage, StringComparison.Ordinal);
        Assert.All(Pod.Keys.Where(k => k != missing), k => Assert.DoesNotMatch($@"\b{k}\b", result.FailureMessage));
    }

    [Fact]
    public void On_WithoutRedis_FailsNamingTheRedisSetting()
    {
        var result = new RouterTierOptionsValidator(Env(Pod), redisClustering: false)
            .Validate(null, new RouterTierOptions { KubernetesHosting = KubernetesHostingMode.On });

        Assert.True(result.Failed);
        Assert.Contains("ClusterState:RedisConnectionString", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KubernetesHostingMode.On, true)]
    [InlineData(KubernetesHostingMode.Auto, false)]
    [InlineData(KubernetesHostingMode.Off, false)]
    public void Validator_FailsOnlyOnWithoutThePod(KubernetesHostingMode mode, bool fails)
    {
        var empty = Env(new Dictionary<string, string?>());
        Assert.Equal(fails, new RouterTierOptionsValidator(empty, redisClustering: true).Validate(null, new RouterTierOptions { KubernetesHosting = mode }).Failed);
        Assert.True(new RouterTierOptionsValidator(Env(Pod), redisClustering: true).Validate(null, new RouterTierOptions { KubernetesHosting = mode }).Succeeded);
    }

    [Fact]
    public void On_WithTheTierDisabled_IsNotChecked() =>
        Assert.True(new RouterTierOptionsValidator(Env(new Dictionary<string, string?>()), redisClustering: false)
            .Validate(null, new RouterTierOptions { Enabled = false, KubernetesHosting = KubernetesHostingMode.On }).Succeeded);

    [Fact]
    public async Task Host_WithOn_OutsideAPod_FailsAtStartNamingTheMissingVariables()
    {
        Assert.All(KubernetesHosting.RequiredVariables, v => Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v)), $"{v} is set in the test process"));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RouterTier:KubernetesHosting"] = "on",
            ["RouterTier:SiloPort"] = "0",
            ["RouterTier:GatewayPort"] = "0",
        });
        Assert.True(builder.AddRouterTier());
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(timeout.Token));

        Assert.All(KubernetesHosting.RequiredVariables, v => Assert.Contains(v, error.Message, StringComparison.Ordinal));
        Assert.Contains("ClusterState:RedisConnectionString", error.Message, StringComparison.Ordinal);
    }
}
