using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cluster.Cli.Up;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.ClusterState.Redis;
using Cluster.Core.Ids;
using Cluster.Deploy.Tests.Infrastructure;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Deploy.Tests;

/// <summary>
/// The chart's configuration keys are the ones the hosts read: the router, prefill and decode Deployments of the tiny-cpu
/// example run as processes (the built Router, PrefillWorker and DecodeWorker) with exactly the environment the
/// Deployments give their containers, secrets resolved from the rendered Secrets, after the synthetic-model init
/// container's own command wrote the model. Adapted to one machine, and only these: the ports (free ones instead of the
/// containers' fixed ports, the router tier's silo and gateway ports included), the Redis address (a local redis-server with the rendered password instead of the bundled
/// StatefulSet's Service), /models (a temporary folder instead of the emptyDir), the downward API (metadata.name: a pod
/// name, status.podIP: 127.0.0.1). Hosting:BindAddress stays 0.0.0.0, so each host starts only because the chart gave
/// it its credentials. The roles come up, the workers register under their pod names, the router serves a completion
/// with the API key from the Secret and refuses one without, and the `helm test` pod's script passes against it. The
/// router's silo joined the Orleans membership in Redis under the chart's per-release cluster id. Probe paths: /healthz
/// (liveness, startup) and /readyz (readiness) must answer 200; /metrics 401 without the cluster token, 200 with it.
/// </summary>
public sealed class ChartProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private static readonly string[] AdaptedKeys = ["Hosting__GrpcPort", "Hosting__HttpPort", "ClusterState__RedisConnectionString"];
    private static readonly string[] RouterAdaptedKeys = ["RouterTier__SiloPort", "RouterTier__GatewayPort", "RouterTier__AdvertisedAddress"];

    private readonly string _dir = Directory.CreateTempSubdirectory("deploy-processes-").FullName;
    private readonly List<ChildProcess> _children = [];
    private readonly Dictionary<string, (Uri Grpc, Uri Http)> _endpoints = [];
    private RenderedChart _chart = null!;
    private LocalRedisServer _redis = null!;
    private ServiceProvider? _state;

    public async Task InitializeAsync()
    {
        _chart = ChartRenderer.RenderOk(Repo.Example("tiny-cpu"));
        _redis = await LocalRedisServer.StartAsync(Secret("cluster-redis", "redis-password"));
        RunModelInit(_chart.Deployment("decode")!.Spec.Template.Spec.InitContainers.Single());
        foreach (var role in new[] { "router", "prefill", "decode" })
        {
            Launch(role, _chart.Deployment(role)!);
        }
    }

    [Fact]
    public async Task ChartEnvironment_RolesComeUp_Register_AndServeACompletion()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var roles = _endpoints.Select(e => (e.Key, e.Value.Http)).ToList();
        await ClusterReadiness.WaitHealthyAsync(roles, DeadChild, ReadyTimeout, CancellationToken.None);

        _state = new ServiceCollection().AddClusterState(new ConfigurationBuilder().AddInMemoryCollection([
            new("ClusterState:RedisConnectionString", _redis.ConnectionString), new("ClusterState:RedisPassword", _redis.Password),
            new("ClusterState:KeyPrefix", _chart.Deployment("router")!.MainContainer().EnvValue("ClusterState__KeyPrefix"))]).Build())
            .BuildServiceProvider();
        var registry = _state.GetRequiredService<IWorkerRegistry>();
        await ClusterReadiness.WaitRegisteredAsync(registry, new ModelId("tiny"), 2, DeadChild, ReadyTimeout, CancellationToken.None);
        var workers = await registry.ListAsync(new ModelId("tiny"));
        Assert.Equal(["cluster-decode-pod-0", "cluster-prefill-pod-0"], workers.Select(w => w.Info.Id.Value).Order());
        Assert.Equal(WorkerRole.Prefill, workers.Single(w => w.Info.Id.Value == "cluster-prefill-pod-0").Info.Role);
        Assert.All(workers, w => Assert.Equal($"http://127.0.0.1:{_endpoints[w.Info.Id.Value.Contains("prefill", StringComparison.Ordinal) ? "prefill" : "decode"].Grpc.Port}", w.Info.GrpcEndpoint));

        var apiKey = Secret("cluster-auth", "api-key-0");
        await RoutableProbe.WaitAsync(new Uri($"http://127.0.0.1:{_endpoints["router"].Grpc.Port}"), apiKey, "tiny", DeadChild, ReadyTimeout, CancellationToken.None);
        await AssertRouterSiloJoinedMembershipAsync();

        foreach (var (role, (_, address)) in _endpoints)
        {
            var probes = _chart.Deployment(role)!.MainContainer();
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, address, probes.LivenessProbe.HttpGet.Path));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, address, probes.StartupProbe.HttpGet.Path));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, address, probes.ReadinessProbe.HttpGet.Path));
            // /metrics needs the cluster token (the monitors send it from the same Secret).
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(http, address, "/metrics"));
            using var scrape = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "/metrics"));
            scrape.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret("cluster-auth", "cluster-token"));
            using var metrics = await http.SendAsync(scrape);
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        }

        var router = _endpoints["router"].Http;
        using var body = new StringContent("""{"model":"tiny","prompt":"Hello","max_tokens":4,"temperature":0}""", Encoding.UTF8, "application/json");
        using var anonymous = await http.PostAsync(new Uri(router, "/v1/completions"), body);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(router, "/v1/completions"))
        {
            Content = new StringContent("""{"model":"tiny","prompt":"Hello","max_tokens":4,"temperature":0}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}\n{Logs()}");
        using var json = JsonDocument.Parse(text);
        Assert.Equal(4, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Single(json.RootElement.GetProperty("choices").EnumerateArray());

        // `helm test`: the test pod's own script (curl, sh) against this router, its Service address and /tmp mapped here.
        var pod = _chart.Pods.Single().Spec.Containers.Single();
        var tmp = Directory.CreateDirectory(Path.Combine(_dir, "helm-test")).FullName;
        var script = pod.Args.Single()
            .Replace($"http://cluster-router:{_chart.Services.Single(x => x.Metadata.Name == "cluster-router").Spec.Ports.Single(p => p.Name == "http").Port}",
                router.ToString().TrimEnd('/'), StringComparison.Ordinal)
            .Replace("/tmp/", tmp + "/", StringComparison.Ordinal);
        Assert.Equal(("cluster-auth", "api-key-0"), (pod.Env.Single().ValueFrom.SecretKeyRef.Name, pod.Env.Single().ValueFrom.SecretKeyRef.Key));
        var helmTest = Tool.Run(pod.Command[0], [.. pod.Command.Skip(1), script],
            environment: new Dictionary<string, string> { [pod.Env.Single().Name] = apiKey }, installHint: "apt-get install curl");
        Assert.True(helmTest.ExitCode == 0, $"the helm test script failed: {helmTest}");
        Assert.Contains("\"choices\"", helmTest.Output, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        foreach (var child in _children)
        {
            await child.DisposeAsync();
        }

        if (_state is not null)
        {
            await _state.DisposeAsync();
        }

        await _redis.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The init container's command, with its /models and the image's /app mapped onto this machine.</summary>
    private void RunModelInit(V1Container init)
    {
        var cli = ExecutableLocator.FromBaseDirectory().CliDll();
        Assert.Equal("/app/cluster.dll", init.Args[0]);
        var result = Tool.Run("dotnet", [cli, .. init.Args.Skip(1).Select(MapPath)],
            environment: init.Env.ToDictionary(e => e.Name, e => MapPath(e.Value) == e.Value ? Path.Combine(_dir, "home") : MapPath(e.Value)));
        Assert.True(result.ExitCode == 0, $"make-model (the init container) failed: {result}");
        Assert.True(File.Exists(Path.Combine(MapPath("/models/tiny"), "config.json")));
    }

    private void Launch(string role, V1Deployment deployment)
    {
        var container = deployment.MainContainer();
        var grpc = FreePorts.Resolve(0);
        var httpPort = FreePorts.Resolve(0);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var env in container.Env)
        {
            environment[env.Name] = env.Name switch
            {
                "Hosting__GrpcPort" => grpc.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "Hosting__HttpPort" => httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "ClusterState__RedisConnectionString" => _redis.ConnectionString,
                "RouterTier__SiloPort" or "RouterTier__GatewayPort" => FreePorts.Resolve(0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ when env.ValueFrom?.SecretKeyRef is { } s => Secret(s.Name, s.Key),
                _ when env.ValueFrom?.FieldRef?.FieldPath == "metadata.name" => $"{deployment.Metadata.Name}-pod-0",
                _ when env.ValueFrom?.FieldRef?.FieldPath == "status.podIP" => "127.0.0.1",
                _ when env.ValueFrom is not null => throw new InvalidOperationException($"{role}: {env.Name} comes from a source this test cannot resolve"),
                _ => MapPath(env.Value),
            };
        }

        Assert.All(AdaptedKeys, k => Assert.Contains(k, environment.Keys)); // the chart sets what is adapted here
        if (role == "router")
        {
            Assert.All(RouterAdaptedKeys, k => Assert.Contains(k, environment.Keys));
        }

        Assert.Equal("0.0.0.0", environment["Hosting__BindAddress"]);
        var host = Path.GetFileNameWithoutExtension(container.Args.Single())["Cluster.".Length..];
        var dll = ExecutableLocator.FromBaseDirectory().Dll(host);
        _children.Add(ChildProcess.Start(role, dll, [], Path.Combine(_dir, $"{role}.log"), environment));
        _endpoints[role] = (new Uri($"http://127.0.0.1:{grpc}"), new Uri($"http://127.0.0.1:{httpPort}"));
    }

    /// <summary>The router's silo is in the Orleans membership table in Redis under the chart's cluster id (service id too).</summary>
    private async Task AssertRouterSiloJoinedMembershipAsync()
    {
        var clusterId = _chart.Deployment("router")!.MainContainer().EnvValue("RouterTier__ClusterId");
        Assert.Equal("cluster.llm", clusterId);
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{_redis.ConnectionString},password={_redis.Password},allowAdmin=true");
        var key = $"{clusterId}/members/{clusterId}";
        if (!await redis.GetDatabase().KeyExistsAsync(key))
        {
            var keys = redis.GetServers().Single().Keys(pattern: "*members*").Select(k => k.ToString());
            Assert.Fail($"no Orleans membership key {key} in Redis (membership keys: {string.Join(", ", keys)})\n{Logs()}");
        }
    }

    private string MapPath(string value) =>
        value == "/models" || value.StartsWith("/models/", StringComparison.Ordinal) ? Path.Combine(_dir, "models") + value["/models".Length..] : value;

    private string Secret(string name, string key) =>
        Encoding.UTF8.GetString(_chart.Secrets.Single(s => s.Metadata.Name == name).Data[key]);

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, Uri address, string path)
    {
        using var response = await http.GetAsync(new Uri(address, path));
        return response.StatusCode;
    }

    private string? DeadChild() => _children.FirstOrDefault(c => c.HasExited) is { } dead
        ? $"{dead.Name} exited during start-up; the end of {dead.LogPath}:\n{dead.LogTail()}"
        : null;

    private string Logs() => string.Join('\n', _children.Select(c => $"--- {c.Name}\n{c.LogTail()}"));
}
