using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Cluster.Deploy.Tests.Infrastructure;
using k8s.Models;

namespace Cluster.Deploy.Tests;

/// <summary>What users of the chart depend on, asserted on the renders of the examples (and a few variations).</summary>
public sealed partial class ChartTests
{
    private static readonly string[] ExampleSecrets = ["example-cluster-token", "example-api-key", "second-api-key", "example-redis-password"];

    public static TheoryData<string> Examples => [.. Repo.ExampleNames];

    [Theory]
    [InlineData("gpu-4p4d", 2, 4, 4, 2)]
    [InlineData("gpu-1p1d", 1, 1, 1, 1)]
    [InlineData("tiny-cpu", 1, 1, 1, 0)]
    public void Pools_ReplicasAndGpuLimits_FollowValues(string example, int routers, int prefill, int decode, int gpusPerWorker)
    {
        var chart = ChartRenderer.RenderOk(Repo.Example(example));
        Assert.Equal(routers, chart.Deployment("router")!.Spec.Replicas);
        Assert.Equal(prefill, chart.Deployment("prefill")!.Spec.Replicas);
        Assert.Equal(decode, chart.Deployment("decode")!.Spec.Replicas);
        Assert.False(chart.Deployment("router")!.MainContainer().Resources.Limits?.ContainsKey("nvidia.com/gpu") ?? false);
        foreach (var role in new[] { "prefill", "decode" })
        {
            var container = chart.Deployment(role)!.MainContainer();
            var limits = container.Resources.Limits ?? new Dictionary<string, ResourceQuantity>();
            if (gpusPerWorker == 0)
            {
                Assert.False(limits.ContainsKey("nvidia.com/gpu"));
                Assert.Equal("cpu", container.EnvValue("Worker__Device"));
                Assert.EndsWith("-cpu", container.Image, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(gpusPerWorker.ToString(CultureInfo.InvariantCulture), limits["nvidia.com/gpu"].ToString());
                Assert.Equal("cuda", container.EnvValue("Worker__Device"));
                Assert.EndsWith("-cuda", container.Image, StringComparison.Ordinal);
                Assert.Contains(chart.Deployment(role)!.Spec.Template.Spec.Tolerations, t => t.Key == "nvidia.com/gpu");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Secrets_AreReferencedFromSecrets_NeverInlined(string example)
    {
        var chart = ChartRenderer.RenderOk(Repo.Example(example));
        var secretNames = chart.Secrets.Select(s => s.Metadata.Name).ToHashSet();
        foreach (var spec in PodSpecs.PodSpecsOf(chart))
        {
            foreach (var container in spec.AllContainers())
            {
                foreach (var env in (container.Env ?? []).Where(e => PodSpecs.IsSecretName(e.Name)))
                {
                    Assert.True(env.Value is null, $"{container.Name}: {env.Name} has an inline value");
                    var reference = env.ValueFrom?.SecretKeyRef;
                    Assert.True(reference is not null, $"{container.Name}: {env.Name} is not from a Secret");
                    Assert.True(secretNames.Contains(reference!.Name) || reference.Name is "cluster-credentials" or "cluster-redis" or "shared-redis",
                        $"{env.Name} refers to Secret {reference.Name}, which is neither rendered nor a Secret named in the values");
                }

                var commandLine = string.Join(' ', (container.Command ?? []).Concat(container.Args ?? []));
                Assert.All(ExampleSecrets, s => Assert.DoesNotContain(s, commandLine, StringComparison.Ordinal));
            }
        }

        var rest = string.Join('\n', chart.Documents.Where(d => d.Kind != "Secret").Select(d => d.Yaml));
        Assert.All(ExampleSecrets, s => Assert.DoesNotContain(s, rest, StringComparison.Ordinal));
        Assert.All(ExampleSecrets, s => Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(s)), rest, StringComparison.Ordinal));
        Assert.All(chart.ConfigMaps, c => Assert.DoesNotContain(c.Data?.Keys ?? [], k => k.Contains("token", StringComparison.OrdinalIgnoreCase)));

        // Every host listens beyond loopback, so it must get the cluster token (and the router its API keys).
        foreach (var component in PodSpecs.HostComponents.Where(c => chart.Deployment(c) is not null))
        {
            var main = chart.Deployment(component)!.MainContainer();
            Assert.Equal("0.0.0.0", main.EnvValue("Hosting__BindAddress"));
            Assert.NotNull(main.Env("Auth__ClusterToken").ValueFrom.SecretKeyRef);
            Assert.DoesNotContain(main.Env, e => e.Name == "Hosting__AllowInsecure");
        }

        Assert.NotNull(chart.Deployment("router")!.MainContainer().Env("Auth__ApiKeys__0").ValueFrom.SecretKeyRef);
    }

    [Fact]
    public void ExistingSecrets_AreUsed_AndNoSecretIsMade()
    {
        var chart = ChartRenderer.RenderOk(Repo.Example("existing-secrets"));
        Assert.Empty(chart.Secrets);
        var router = chart.Deployment("router")!.MainContainer();
        Assert.Equal(("cluster-credentials", "token"), Ref(router.Env("Auth__ClusterToken")));
        Assert.Equal(("cluster-credentials", "key-a"), Ref(router.Env("Auth__ApiKeys__0")));
        Assert.Equal(("cluster-credentials", "key-b"), Ref(router.Env("Auth__ApiKeys__1")));
        Assert.Equal(("cluster-redis", "redis-password"), Ref(chart.Deployment("decode")!.MainContainer().Env("ClusterState__RedisPassword")));
        Assert.Equal(("cluster-redis", "redis-password"), Ref(chart.StatefulSets.Single().Spec.Template.Spec.Containers[0].Env("REDIS_PASSWORD")));
        Assert.Equal("Information", router.EnvValue("Logging__LogLevel__Default"));
        Assert.Null(chart.Deployment("router")!.Spec.Template.Metadata.Annotations); // nothing chart-made to checksum
    }

    [Fact]
    public void ChartMadeSecrets_HoldTheValues_AndPodsChecksumThem()
    {
        var chart = ChartRenderer.RenderOk(Repo.Example("gpu-4p4d"));
        var auth = chart.Secrets.Single(s => s.Metadata.Name == "llm-auth");
        Assert.Equal("example-cluster-token", Encoding.UTF8.GetString(auth.Data["cluster-token"]));
        Assert.Equal("second-api-key", Encoding.UTF8.GetString(auth.Data["api-key-1"]));
        var checksums = chart.Deployments.Select(d => d.Spec.Template.Metadata.Annotations["checksum/secrets"]).Distinct();
        Assert.Single(checksums);
        var other = ChartRenderer.RenderExample("gpu-4p4d", "auth: {clusterToken: rotated-token}\n");
        Assert.NotEqual(checksums.Single(), other.Deployment("decode")!.Spec.Template.Metadata.Annotations["checksum/secrets"]);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Probes_EveryHost_ReadinessLivenessAndStartupForModelLoading(string example)
    {
        var chart = ChartRenderer.RenderOk(Repo.Example(example));
        foreach (var deployment in chart.Deployments)
        {
            var c = deployment.MainContainer();
            Assert.Equal("/readyz", c.ReadinessProbe.HttpGet.Path);
            Assert.Equal("/healthz", c.LivenessProbe.HttpGet.Path);
            Assert.Equal("/healthz", c.StartupProbe.HttpGet.Path);
            Assert.All(new[] { c.ReadinessProbe, c.LivenessProbe, c.StartupProbe }, p => Assert.Equal("http", p.HttpGet.Port.Value));
            Assert.Contains(c.Ports, p => p.Name == "http" && p.ContainerPort.ToString(CultureInfo.InvariantCulture) == c.EnvValue("Hosting__HttpPort"));
            Assert.Contains(c.Ports, p => p.Name == "grpc" && p.ContainerPort.ToString(CultureInfo.InvariantCulture) == c.EnvValue("Hosting__GrpcPort"));
            Assert.True(c.StartupProbe.PeriodSeconds * c.StartupProbe.FailureThreshold >= 300, "the startup probe allows less than 5 minutes for loading the model");
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Budgets_SelectExactlyTheirPool(string example)
    {
        var chart = ChartRenderer.RenderOk(Repo.Example(example));
        Assert.Equal(chart.Deployments.Count(), chart.Budgets.Count());
        foreach (var pdb in chart.Budgets)
        {
            var selected = chart.Deployments.Where(d => PodSpecs.Selects(pdb.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)).ToList();
            Assert.Single(selected);
            Assert.Equal(pdb.Metadata.Name, selected[0].Metadata.Name);
            Assert.True(pdb.Spec.MinAvailable is not null ^ pdb.Spec.MaxUnavailable is not null);
        }
    }

    [Fact]
    public void Budgets_FollowValues()
    {
        var chart = ChartRenderer.RenderOk(Repo.Example("gpu-4p4d"));
        Assert.Equal("1", chart.Budgets.Single(b => b.Metadata.Name == "llm-router").Spec.MinAvailable.Value);
        Assert.Equal("1", chart.Budgets.Single(b => b.Metadata.Name == "llm-decode").Spec.MaxUnavailable.Value);
        var without = ChartRenderer.RenderExample("tiny-cpu", "decode: {pdb: {enabled: false}}\n");
        Assert.DoesNotContain(without.Budgets, b => b.Metadata.Name == "cluster-decode");
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void TerminationGrace_CoversTheDrain(string example)
    {
        var chart = ChartRenderer.RenderOk(Repo.Example(example));
        foreach (var component in new[] { "prefill", "decode", "colocated" })
        {
            if (chart.Deployment(component) is not { } d)
            {
                continue;
            }

            var drain = TimeSpan.Parse(d.MainContainer().EnvValue("Worker__DrainTimeout")!, CultureInfo.InvariantCulture);
            // The worker host's shutdown timeout is the drain timeout + 10 s (Worker README, Shutdown).
            Assert.True(d.Spec.Template.Spec.TerminationGracePeriodSeconds >= drain.TotalSeconds + 10,
                $"{component}: grace {d.Spec.Template.Spec.TerminationGracePeriodSeconds} s < drain {drain.TotalSeconds} s + 10 s");
        }
    }

    [Fact]
    public void Redis_Bundled_IsAStatefulSetWithThePasswordFromItsSecret()
    {
        var chart = ChartRenderer.RenderOk(Repo.Example("tiny-cpu"));
        var redis = chart.StatefulSets.Single();
        Assert.Equal("cluster-redis", redis.Metadata.Name);
        Assert.Contains(chart.Services, s => s.Metadata.Name == "cluster-redis" && s.Spec.Ports.Any(p => p.Port == 6379));
        Assert.Equal(("cluster-redis", "redis-password"), Ref(redis.Spec.Template.Spec.Containers[0].Env("REDIS_PASSWORD")));
        Assert.DoesNotContain("requirepass $", string.Join(' ', redis.Spec.Template.Spec.Containers[0].Args), StringComparison.Ordinal);
        foreach (var role in new[] { "router", "prefill", "decode" })
        {
            var c = chart.Deployment(role)!.MainContainer();
            Assert.Equal("cluster-redis:6379", c.EnvValue("ClusterState__RedisConnectionString"));
            Assert.Equal(("cluster-redis", "redis-password"), Ref(c.Env("ClusterState__RedisPassword")));
        }
    }

    [Fact]
    public void Redis_KeyPrefix_OneForEveryRole_DiffersPerReleaseAndNamespace()
    {
        string[] Prefixes(string release, string ns, string values = "") => [.. RenderWith(release, ns, values).Deployments.Select(d => d.MainContainer().EnvValue("ClusterState__KeyPrefix")!)];

        var install = Prefixes("alpha", "llm");
        Assert.Equal(["cl:alpha.llm:"], install.Distinct()); // workers and routers of one install share one registry
        Assert.Equal(4, install.Length);
        Assert.Equal("cl:beta.llm:", Prefixes("beta", "llm").Distinct().Single());
        Assert.Equal("cl:alpha.other:", Prefixes("alpha", "other").Distinct().Single());
        Assert.Equal("mine:", Prefixes("alpha", "llm", "redis: {keyPrefix: \"mine:\"}\n").Distinct().Single());

        static RenderedChart RenderWith(string release, string ns, string values)
        {
            using var file = new TempValues(values);
            return ChartRenderer.RenderOk([Repo.Example("external-redis"), .. file.Paths], chart: null, release, ns);
        }
    }

    [Fact]
    public void Redis_External_HasNoStatefulSet_AndItsAddressTlsAndSecret()
    {
        var chart = ChartRenderer.RenderOk(Repo.Example("external-redis"));
        Assert.Empty(chart.StatefulSets);
        Assert.DoesNotContain(chart.Services, s => s.Metadata.Name.EndsWith("-redis", StringComparison.Ordinal));
        Assert.DoesNotContain(chart.Secrets, s => s.Metadata.Name.EndsWith("-redis", StringComparison.Ordinal));
        foreach (var role in new[] { "router", "prefill", "decode", "colocated" })
        {
            var c = chart.Deployment(role)!.MainContainer();
            Assert.Equal("redis.shared.svc.cluster.local:6380", c.EnvValue("ClusterState__RedisConnectionString"));
            Assert.Equal("true", c.EnvValue("ClusterState__RedisTls"));
            Assert.Equal(("shared-redis", "password"), Ref(c.Env("ClusterState__RedisPassword")));
        }
    }

    [Fact]
    public void Colocated_Enabled_RunsTheDecodeHostInTheColocatedRole()
    {
        var chart = ChartRenderer.RenderOk(Repo.Example("external-redis"));
        var colocated = chart.Deployment("colocated")!;
        Assert.Equal(2, colocated.Spec.Replicas);
        Assert.Equal("colocated", colocated.MainContainer().EnvValue("Engine__Role"));
        Assert.Equal(["/app/Cluster.DecodeWorker.dll"], colocated.MainContainer().Args);
        Assert.Null(ChartRenderer.RenderOk(Repo.Example("tiny-cpu")).Deployment("colocated"));
    }

    [Fact]
    public void Monitors_SelectRouterAndWorkers_NotRedis_OnTheirHttpPort()
    {
        var chart = ChartRenderer.RenderOk(Repo.Example("monitoring"));
        var podMonitor = chart.Monitors("PodMonitor").Single();
        var serviceMonitor = chart.Monitors("ServiceMonitor").Single();
        Assert.Equal("kps", Labels(podMonitor)["release"]);
        Assert.Equal("kps", Labels(serviceMonitor)["release"]);

        var hostPods = chart.Deployments.Select(d => d.Spec.Template.Metadata.Labels).ToList();
        var redisPods = chart.StatefulSets.Select(s => s.Spec.Template.Metadata.Labels).ToList();
        Assert.NotEmpty(redisPods);
        Assert.All(hostPods, labels => Assert.True(MonitorSelects(podMonitor, labels)));
        Assert.All(redisPods, labels => Assert.False(MonitorSelects(podMonitor, labels)));
        Assert.All(chart.Deployments, d => Assert.Contains(d.MainContainer().Ports, p => p.Name == Endpoint(podMonitor, "podMetricsEndpoints")));

        var selected = chart.Services.Where(s => MonitorSelects(serviceMonitor, s.Metadata.Labels)).ToList();
        Assert.Equal(["cluster-decode", "cluster-prefill", "cluster-router"], selected.Select(s => s.Metadata.Name).Order());
        Assert.All(selected, s => Assert.Contains(s.Spec.Ports, p => p.Name == Endpoint(serviceMonitor, "endpoints")));
        Assert.DoesNotContain(ChartRenderer.RenderOk(Repo.Example("tiny-cpu")).Documents, d => d.Kind.EndsWith("Monitor", StringComparison.Ordinal));

        // /metrics answers only with the cluster token: both monitors send it, from the chart's auth Secret.
        foreach (var (monitor, key) in new[] { (podMonitor, "podMetricsEndpoints"), (serviceMonitor, "endpoints") })
        {
            var authorization = (Dictionary<object, object>)EndpointOf(monitor, key)["authorization"];
            var credentials = (Dictionary<object, object>)authorization["credentials"];
            Assert.Equal("Bearer", authorization["type"]);
            Assert.Equal(("cluster-auth", "cluster-token"), ((string)credentials["name"], (string)credentials["key"]));
            Assert.Contains(chart.Secrets, s => s.Metadata.Name == "cluster-auth" && s.Data.ContainsKey("cluster-token"));
        }
    }

    [Fact]
    public void Config_MapsToSectionKeyVariables_RoleOverGlobal()
    {
        var chart = ChartRenderer.RenderOk(Repo.Example("gpu-4p4d"));
        var router = chart.Deployment("router")!.MainContainer();
        Assert.Equal("cache-aware", router.EnvValue("Routing__PrefillPolicy"));
        Assert.Equal("1000000", router.EnvValue("Routing__MaxQueuedRequests")); // a whole number, not 1e+06
        Assert.Equal("8192", chart.Deployment("prefill")!.MainContainer().EnvValue("Engine__MaxBatchTokens"));
        Assert.Null(chart.Deployment("decode")!.MainContainer().EnvValue("Engine__MaxBatchTokens"));
        Assert.Equal("DOTNET_gcServer", chart.Deployment("decode")!.MainContainer().Env[^1].Name); // extraEnv last: it overrides

        var overridden = ChartRenderer.RenderExample("tiny-cpu",
            "config: {Routing: {PrefillPolicy: round-robin}, KvCache: {MemoryFraction: 0.5}}\nrouter: {config: {Routing: {PrefillPolicy: least-loaded}}}\n");
        var env = overridden.Deployment("router")!.MainContainer().Env;
        Assert.Equal("least-loaded", Assert.Single(env, e => e.Name == "Routing__PrefillPolicy").Value);
        Assert.Equal("0.5", overridden.Deployment("decode")!.MainContainer().EnvValue("KvCache__MemoryFraction"));
    }

    [Theory]
    [InlineData("tiny-cpu", "/models/tiny")]
    [InlineData("gpu-1p1d", "/models/Llama-3.1-8B-Instruct")]
    [InlineData("gpu-4p4d", "/models")]
    public void Model_EveryHostSeesTheSameDirectory(string example, string dir)
    {
        var chart = ChartRenderer.RenderOk(Repo.Example(example));
        Assert.Equal(dir, chart.Deployment("router")!.MainContainer().EnvValue("Router__Models__0__Path"));
        foreach (var d in chart.Deployments)
        {
            var spec = d.Spec.Template.Spec;
            var volume = spec.Volumes.Single(v => v.Name == "model");
            Assert.Contains(d.MainContainer().VolumeMounts, m => m.Name == "model" && m.MountPath == "/models" && m.ReadOnlyProperty == true);
            switch (example)
            {
                case "tiny-cpu":
                    var init = spec.InitContainers.Single();
                    Assert.Equal(["/app/cluster.dll", "make-model", "--preset", "tiny", "--dtype", "fp32", "--seed", "0", "--out", "/models/tiny"], init.Args);
                    Assert.NotNull(volume.EmptyDir);
                    break;
                case "gpu-1p1d":
                    Assert.Equal("models", volume.PersistentVolumeClaim.ClaimName);
                    Assert.True(volume.PersistentVolumeClaim.ReadOnlyProperty);
                    break;
                default:
                    Assert.Equal(("/mnt/models/Llama-3.1-70B-Instruct", "Directory"), (volume.HostPath.Path, volume.HostPath.Type));
                    break;
            }

            if (d.Metadata.Labels["app.kubernetes.io/component"] != "router")
            {
                Assert.Equal(dir, d.MainContainer().EnvValue("Worker__ModelPath"));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Containers_NonRoot_ReadOnlyRoot_NoEscalation(string example)
    {
        var chart = ChartRenderer.RenderOk(Repo.Example(example));
        foreach (var spec in PodSpecs.PodSpecsOf(chart))
        {
            Assert.True(spec.SecurityContext.RunAsNonRoot);
            // Only router pods with Orleans' Kubernetes hosting (RouterTierChartTests) carry a service account token.
            Assert.Equal(spec.ServiceAccountName is not null, spec.AutomountServiceAccountToken);
            Assert.All(spec.AllContainers(), c =>
            {
                Assert.True(c.SecurityContext.ReadOnlyRootFilesystem, c.Name);
                Assert.False(c.SecurityContext.AllowPrivilegeEscalation, c.Name);
                Assert.Contains(c.VolumeMounts, m => m.MountPath is "/tmp" or "/conf");
            });
        }
    }

    [Fact]
    public void HelmTest_CallsRouterHealthAndOneCompletion_WithTheKeyFromTheSecret()
    {
        var pod = ChartRenderer.RenderOk(Repo.Example("tiny-cpu")).Pods.Single();
        Assert.Equal("test", pod.Metadata.Annotations["helm.sh/hook"]);
        var c = pod.Spec.Containers.Single();
        var script = string.Join('\n', c.Args);
        Assert.Contains("http://cluster-router:8080", script, StringComparison.Ordinal);
        Assert.Contains("/readyz", script, StringComparison.Ordinal);
        Assert.Contains("/v1/completions", script, StringComparison.Ordinal);
        Assert.Equal(("cluster-auth", "api-key-0"), Ref(c.Env("API_KEY")));
    }

    [Theory]
    [InlineData("a-release-name-that-is-fifty-three-characters-long-xx", "", "")]
    [InlineData("r", "", "Fullname_Override.With--UPPER and spaces that is far longer than sixty-three characters--")]
    [InlineData("rel", "Name.Override__", "")]
    public void Names_AreDnsLabels_Within63_WithoutTrailingDash(string release, string nameOverride, string fullnameOverride)
    {
        using var values = new TempValues($"nameOverride: \"{nameOverride}\"\nfullnameOverride: \"{fullnameOverride}\"\ncolocated: {{enabled: true}}\n");
        var chart = ChartRenderer.RenderOk([Repo.Example("monitoring"), .. values.Paths], chart: null, release);
        var names = chart.Documents.Select(d => (d.Kind, Name: NameOf(d))).ToList();
        Assert.All(names, n => Assert.Matches(DnsLabel(), n.Name));
        Assert.All(names, n => Assert.InRange(n.Name.Length, 1, 63));
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var component in new[] { "router", "prefill", "decode", "colocated", "redis", "auth" })
        {
            Assert.Contains(names, n => n.Name.EndsWith($"-{component}", StringComparison.Ordinal));
        }

        Assert.All(chart.Documents.Select(d => d.Object).OfType<IMetadata<V1ObjectMeta>>().SelectMany(o => o.Metadata.Labels),
            l => Assert.InRange(l.Value.Length, 0, 63));
    }

    [Fact]
    public void NameOverride_ReplacesTheChartName()
    {
        var chart = ChartRenderer.RenderExample("tiny-cpu", "nameOverride: llm\n");
        Assert.Equal("cluster-llm-router", chart.Deployment("router")!.Metadata.Name);
        Assert.Equal("llm", chart.Deployment("router")!.Metadata.Labels["app.kubernetes.io/name"]);
    }

    [Theory]
    [InlineData("auth: {clusterToken: \"\"}\n", "auth.clusterToken is required")]
    [InlineData("auth: {apiKeys: []}\n", "auth.apiKeys needs at least one key")]
    [InlineData("redis: {auth: {password: \"\"}}\n", "redis.auth.password is required")]
    [InlineData("redis: {mode: external}\n", "redis.external.address is required")]
    [InlineData("redis: {keyPrefix: \"cl:a-prefix-that-is-longer-than-the-sixty-four-characters-hosts-accept:\"}\n", "is longer than 64 characters")]
    [InlineData("router: {tier: {siloPort: 8080}}\n", "router.tier.siloPort 8080 collides with the gateway, gRPC or HTTP port")]
    [InlineData("router: {tier: {gatewayPort: 50051}}\n", "router.tier.gatewayPort 50051 collides with the router's gRPC or HTTP port")]
    [InlineData("model: {source: pvc}\n", "model.pvc.claimName is required")]
    public void Render_MissingOrUnsupportedValue_FailsNamingIt(string yaml, string message)
    {
        using var values = new TempValues(yaml);
        var result = ChartRenderer.Render([Repo.Example("tiny-cpu"), .. values.Paths]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    private static string NameOf(RenderedChart.Document d) => d.Object switch
    {
        IMetadata<V1ObjectMeta> o => o.Metadata.Name,
        Dictionary<object, object> map => (string)((Dictionary<object, object>)map["metadata"])["name"],
        _ => throw new InvalidOperationException(d.Kind),
    };

    private static (string, string) Ref(V1EnvVar env) => (env.ValueFrom.SecretKeyRef.Name, env.ValueFrom.SecretKeyRef.Key);

    private static Dictionary<string, string> Labels(Dictionary<object, object> monitor) =>
        ((Dictionary<object, object>)((Dictionary<object, object>)monitor["metadata"])["labels"]).ToDictionary(kv => (string)kv.Key, kv => (string)kv.Value);

    private static string Endpoint(Dictionary<object, object> monitor, string key) => (string)EndpointOf(monitor, key)["port"];

    private static Dictionary<object, object> EndpointOf(Dictionary<object, object> monitor, string key) =>
        (Dictionary<object, object>)((List<object>)((Dictionary<object, object>)monitor["spec"])[key])[0];

    /// <summary>matchLabels and matchExpressions (operator In) of a monitor's selector against a label set.</summary>
    private static bool MonitorSelects(Dictionary<object, object> monitor, IDictionary<string, string> labels)
    {
        var selector = (Dictionary<object, object>)((Dictionary<object, object>)monitor["spec"])["selector"];
        var match = ((Dictionary<object, object>)selector["matchLabels"]).ToDictionary(kv => (string)kv.Key, kv => (string)kv.Value);
        var expressions = selector.TryGetValue("matchExpressions", out var e) ? (List<object>)e : [];
        return PodSpecs.Selects(match, labels) && expressions.Cast<Dictionary<object, object>>().All(x =>
        {
            Assert.Equal("In", x["operator"]);
            return labels.TryGetValue((string)x["key"], out var v) && ((List<object>)x["values"]).Contains(v);
        });
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
