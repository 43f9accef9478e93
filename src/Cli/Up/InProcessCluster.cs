using Cluster.Engine.Model;
using Cluster.ClusterState;
using Cluster.Core.Ids;
using Cluster.DecodeWorker;
using Cluster.Hosting;
using Cluster.PrefillWorker;
using Cluster.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Cluster.Cli.Up;

/// <summary>
/// The embedded default of <c>cluster up</c>: the router and every worker as web applications in this one process,
/// sharing one in-memory <see cref="IWorkerRegistry"/> and <see cref="IPrefixIndex"/> (no Redis). Workers listen on
/// free ports; the router on the spec's ports.
/// </summary>
public sealed class InProcessCluster : IRunningCluster
{
    private readonly List<WebApplication> _apps = [];
    private readonly List<RoleEndpoint> _workers = [];
    private readonly ServiceProvider _state;

    private InProcessCluster(ClusterSpec spec)
    {
        Spec = spec;
        _state = new ServiceCollection().AddClusterState(new ConfigurationBuilder().Build()).BuildServiceProvider();
        Registry = _state.GetRequiredService<IWorkerRegistry>();
        Index = _state.GetRequiredService<IPrefixIndex>();
    }

    public ClusterSpec Spec { get; }

    public string Mode => "one process, embedded in-memory cluster state (no Redis)";

    public Uri RouterGrpc { get; private set; } = null!;

    public Uri RouterHttp { get; private set; } = null!;

    public IReadOnlyList<RoleEndpoint> Workers => _workers;

    /// <summary>The registry every role shares.</summary>
    public IWorkerRegistry Registry { get; }

    /// <summary>The prefix index every role shares.</summary>
    public IPrefixIndex Index { get; }

    /// <summary>The router's host (its services, e.g. for tests).</summary>
    public WebApplication Router { get; private set; } = null!;

    /// <summary>
    /// Builds and starts every role, then waits until the workers are registered. With <paramref name="quiet"/> the
    /// hosts log warnings and errors only (they share one console).
    /// </summary>
    /// <remarks><paramref name="loadProgress"/>: for a worker's name, what hears how its model load advances (cluster up's progress line).</remarks>
    public static async Task<InProcessCluster> StartAsync(ClusterSpec spec, TimeSpan readyTimeout, bool quiet = true, CancellationToken cancellationToken = default,
        Action<WebApplicationBuilder>? configureHosts = null, Func<string, IProgress<ModelLoadProgress>>? loadProgress = null)
    {
        spec.Validate();
        var cluster = new InProcessCluster(spec) { _configureHosts = configureHosts, _loadProgress = loadProgress };
        try
        {
            string[] logging = quiet ? ["--Logging:LogLevel:Default=Warning"] : [];
            for (var i = 1; i <= spec.PrefillWorkers; i++)
            {
                await cluster.StartWorkerAsync($"prefill-{i}", "prefill", PrefillWorkerApp.Defaults, logging, cancellationToken).ConfigureAwait(false);
            }

            for (var i = 1; i <= spec.DecodeWorkers; i++)
            {
                await cluster.StartWorkerAsync($"decode-{i}", "decode", DecodeWorkerApp.Defaults, logging, cancellationToken).ConfigureAwait(false);
            }

            var routerArgs = ClusterRoleArgs.Router(spec, spec.RouterGrpcPort, spec.RouterHttpPort, redis: "")
                .Concat(ClusterRoleArgs.AsArguments(ClusterRoleArgs.Secrets(spec, "router", redisPassword: null))).Concat(logging).ToArray();
            var router = Cluster.Router.RouterApp.Build(routerArgs, cluster.ShareState);
            cluster._apps.Add(router);
            await router.StartAsync(cancellationToken).ConfigureAwait(false);
            var endpoints = router.Services.GetRequiredService<HostEndpoints>();
            (cluster.Router, cluster.RouterGrpc, cluster.RouterHttp) = (router, endpoints.GrpcAddress, endpoints.HttpAddress);
            await ClusterReadiness.WaitRegisteredAsync(cluster.Registry, new ModelId(spec.EffectiveModelId), cluster._workers.Count,
                () => null, readyTimeout, cancellationToken).ConfigureAwait(false);
            await RoutableProbe.WaitAsync(cluster.RouterGrpc, spec.ApiKey, spec.EffectiveModelId, () => null, readyTimeout, cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(_apps))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // stop timed out: disposing below ends it
            }

            await app.DisposeAsync().ConfigureAwait(false);
        }

        _apps.Clear();
        await _state.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StartWorkerAsync(string name, string role, ClusterHostDefaults defaults, string[] logging, CancellationToken cancellationToken)
    {
        var args = ClusterRoleArgs.Worker(Spec, name, grpcPort: 0, httpPort: 0, redis: "")
            .Concat(ClusterRoleArgs.AsArguments(ClusterRoleArgs.Secrets(Spec, name, redisPassword: null))).Concat(logging).ToArray();
        var app = WorkerApp.Build(args, defaults, builder =>
        {
            ShareState(builder);
            if (_loadProgress?.Invoke(name) is { } progress) builder.Services.AddSingleton(progress);
        });
        _apps.Add(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var endpoints = app.Services.GetRequiredService<HostEndpoints>();
        _workers.Add(new RoleEndpoint(name, role, endpoints.GrpcAddress, endpoints.HttpAddress));
    }

    /// <summary>The <c>configure</c> hook of every role: one registry and one index for all, no Ctrl+C handler per host.</summary>
    private Action<WebApplicationBuilder>? _configureHosts;

    private Func<string, IProgress<ModelLoadProgress>>? _loadProgress;

    private void ShareState(WebApplicationBuilder builder)
    {
        _configureHosts?.Invoke(builder); // tests: e.g. an in-memory trace exporter on every host
        builder.Services.Replace(ServiceDescriptor.Singleton(Registry));
        builder.Services.Replace(ServiceDescriptor.Singleton(Index));
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostLifetime, ExternallyStoppedLifetime>());
    }
}
