using Cluster.ClusterState;
using Cluster.ClusterState.Redis;
using Cluster.Core.Ids;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Cli.Up;

/// <summary>
/// The roles as child processes (the built Router, PrefillWorker and DecodeWorker executables) sharing cluster state
/// in Redis: a given connection string, or a local redis-server this cluster starts and stops. Logs go to files.
/// Disposing kills every child (no more restarts) and stops the Redis it started, which requires a generated password.
/// Secrets (cluster token, API key, Redis password) reach the children by environment, never on their command lines.
/// Once ready, a child that exits unexpectedly is restarted with backoff (<see cref="ChildProcess.Supervise"/>), each
/// exit and restart reported as a line; children stop themselves when this process is gone (Hosting:ParentPid).
/// </summary>
public sealed class ProcessCluster : IRunningCluster
{
    private readonly List<ChildProcess> _children = [];
    private readonly List<RoleEndpoint> _workers = [];
    private readonly List<RoleEndpoint> _routers = [];
    private readonly ExecutableLocator _locator;
    private readonly ServiceProvider _state;
    private readonly string? _redisPassword;
    private Action<string> _report = Console.Error.WriteLine;
    private Func<int, int> _ports = FreePorts.Resolve;
    private int _nextPrefill;
    private int _nextDecode;

    private ProcessCluster(ClusterSpec spec, ExecutableLocator locator, string logDirectory, string redis, LocalRedisServer? ownRedis, string? redisPassword)
    {
        Spec = spec;
        _locator = locator;
        LogDirectory = logDirectory;
        RedisConnection = redis;
        Redis = ownRedis;
        _redisPassword = redisPassword;
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;
        _state = new ServiceCollection()
            .AddClusterState(new ConfigurationBuilder().AddInMemoryCollection([
                new("ClusterState:RedisConnectionString", redis), new("ClusterState:RedisPassword", redisPassword)]).Build())
            .BuildServiceProvider();
    }

    public ClusterSpec Spec { get; }

    public string Mode => Redis is null
        ? $"child processes, Redis at {RedisConnection}, logs in {LogDirectory}"
        : $"child processes, local redis-server at {RedisConnection} (started for this run), logs in {LogDirectory}";

    public Uri RouterGrpc => _routers[0].Grpc;

    public Uri RouterHttp => _routers[0].Http;

    public IReadOnlyList<RoleEndpoint> Workers => _workers;

    /// <summary>Every router (<c>router</c>, then <c>router-2</c> ...; <see cref="ClusterSpec.Routers"/>), one Orleans router tier.</summary>
    public IReadOnlyList<RoleEndpoint> Routers => _routers;

    /// <summary>Every child process, router first.</summary>
    public IReadOnlyList<ChildProcess> Processes => _children;

    public string LogDirectory { get; }

    public string RedisConnection { get; }

    /// <summary>The redis-server this cluster started (null when given a connection string).</summary>
    public LocalRedisServer? Redis { get; }

    /// <summary>The registry in Redis, as the router sees it (for readiness checks and tests).</summary>
    public IWorkerRegistry Registry => _state.GetRequiredService<IWorkerRegistry>();

    /// <summary>The prefix index in Redis, as the router sees it.</summary>
    public IPrefixIndex Index => _state.GetRequiredService<IPrefixIndex>();

    /// <summary>
    /// Starts Redis (unless <paramref name="redisConnection"/> is given; <paramref name="redisPassword"/> is then its
    /// password, else one is generated), the router and the workers, and waits until all are healthy and registered.
    /// <paramref name="ports"/> resolves each role's port (0: pick a free one; default <see cref="FreePorts.Resolve"/>).
    /// </summary>
    public static async Task<ProcessCluster> StartAsync(ClusterSpec spec, string? redisConnection, string logDirectory, TimeSpan readyTimeout,
        ExecutableLocator? locator = null, CancellationToken cancellationToken = default, string? redisPassword = null, Action<string>? report = null,
        Func<int, int>? ports = null)
    {
        spec.Validate();
        locator ??= ExecutableLocator.FromBaseDirectory();
        Directory.CreateDirectory(logDirectory);
        var ownRedis = string.IsNullOrWhiteSpace(redisConnection)
            ? await LocalRedisServer.StartAsync(Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)), cancellationToken).ConfigureAwait(false)
            : null;
        var cluster = new ProcessCluster(spec, locator, logDirectory, ownRedis?.ConnectionString ?? redisConnection!, ownRedis, ownRedis?.Password ?? redisPassword);
        cluster._report = report ?? cluster._report;
        cluster._ports = ports ?? FreePorts.Resolve;
        try
        {
            for (var i = 1; i <= spec.Routers; i++)
            {
                cluster._routers.Add(cluster.LaunchRouter(i == 1 ? "router" : $"router-{i}"));
            }

            for (var i = 0; i < spec.PrefillWorkers; i++)
            {
                cluster.LaunchWorker("prefill");
            }

            for (var i = 0; i < spec.DecodeWorkers; i++)
            {
                cluster.LaunchWorker("decode");
            }

            await cluster.WaitReadyAsync(readyTimeout, cancellationToken).ConfigureAwait(false);
            cluster._children.ForEach(c => c.Supervise(cluster._report)); // start-up failures fail fast; later exits restart
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts one more worker (<c>prefill</c> or <c>decode</c>) and waits until it is healthy and registered.</summary>
    public async Task<RoleEndpoint> AddWorkerAsync(string role, TimeSpan readyTimeout, CancellationToken cancellationToken = default)
    {
        var name = LaunchWorker(role).Name;
        await WaitReadyAsync(readyTimeout, cancellationToken).ConfigureAwait(false);
        Process(name).Supervise(_report);
        return _workers.Single(w => w.Name == name); // its ports, if it had to start again on new ones
    }

    /// <summary>The child process named <paramref name="name"/> (e.g. <c>decode-2</c>).</summary>
    public ChildProcess Process(string name) => _children.Single(c => c.Name == name);

    /// <summary>Kills a worker process as a crash would, without restarting it, and forgets it (its registry entry expires on its own).</summary>
    public async Task KillWorkerAsync(string name)
    {
        await Process(name).KillAsync().ConfigureAwait(false);
        _workers.RemoveAll(w => w.Name == name);
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        foreach (var child in Enumerable.Reverse(_children))
        {
            await child.DisposeAsync().ConfigureAwait(false);
        }

        _children.Clear();
        await _state.DisposeAsync().ConfigureAwait(false);
        if (Redis is not null)
        {
            await Redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The owning process is exiting without disposing this cluster (e.g. a test host torn down): no orphans.</summary>
    private void KillOnExit(object? sender, EventArgs e)
    {
        foreach (var child in _children)
        {
            child.KillAsync().GetAwaiter().GetResult();
        }

        Redis?.StopAsync().GetAwaiter().GetResult();
    }

    private RoleEndpoint LaunchRouter(string name)
    {
        var first = name == "router";
        var grpc = _ports(first ? Spec.RouterGrpcPort : 0);
        var http = _ports(first ? Spec.RouterHttpPort : 0);
        var child = Launch(name, ExecutableLocator.RouterHost, ClusterRoleArgs.Router(Spec, grpc, http, RedisConnection));
        return new RoleEndpoint(name, "router", new Uri($"http://127.0.0.1:{grpc}"), new Uri($"http://127.0.0.1:{http}"), child.LogPath);
    }

    private RoleEndpoint LaunchWorker(string role)
    {
        var index = role == "prefill" ? ++_nextPrefill : ++_nextDecode;
        var worker = LaunchWorker(role, $"{role}-{index}");
        _workers.Add(worker);
        return worker;
    }

    private RoleEndpoint LaunchWorker(string role, string name)
    {
        var grpc = _ports(0);
        var http = _ports(0);
        var host = role == "prefill" ? ExecutableLocator.PrefillHost : ExecutableLocator.DecodeHost;
        var child = Launch(name, host, ClusterRoleArgs.Worker(Spec, name, grpc, http, RedisConnection));
        return new RoleEndpoint(name, role, new Uri($"http://127.0.0.1:{grpc}"), new Uri($"http://127.0.0.1:{http}"), child.LogPath);
    }

    private ChildProcess Launch(string name, string host, string[] args)
    {
        var secrets = ClusterRoleArgs.AsEnvironment(ClusterRoleArgs.Secrets(Spec, name, _redisPassword));
        var child = ChildProcess.Start(name, _locator.Dll(host), args, Path.Combine(LogDirectory, $"{name}.log"), secrets);
        _children.Add(child);
        return child;
    }

    /// <summary>
    /// Waits until every role is ready. A role that exited during start-up because a port picked for it was taken in the
    /// meantime (another process on the machine bound it first: <see cref="FreePorts"/> cannot reserve a port for a
    /// child) is launched again on new ports, at most <see cref="PortRelaunches"/> times; any other exit fails at once.
    /// </summary>
    private async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        for (var relaunches = 0; ; relaunches++)
        {
            try
            {
                await WaitReadyOnceAsync(timeout, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException) when (relaunches < PortRelaunches && !cancellationToken.IsCancellationRequested && PortTakenChildren().Count > 0)
            {
                await RelaunchAsync(PortTakenChildren()).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The roles that exited because a port picked for them was taken.</summary>
    private List<ChildProcess> PortTakenChildren() => _children.Where(c => c.HasExited && StartupPortTaken(c.LogTail())).ToList();

    /// <summary>Launches each of <paramref name="collided"/> again, on new ports, in its place in the start order.</summary>
    private async Task RelaunchAsync(List<ChildProcess> collided)
    {
        foreach (var child in collided)
        {
            await child.DisposeAsync().ConfigureAwait(false);
            File.AppendAllText(child.LogPath, $"{RelaunchMarker} (its port was taken during start-up)\n");
            _report($"{child.Name}: a port picked for it was taken before it could bind; starting it again on new ports");
            var router = _routers.FindIndex(r => r.Name == child.Name);
            if (router >= 0)
            {
                _routers[router] = LaunchRouter(child.Name);
            }
            else
            {
                var worker = _workers.FindIndex(w => w.Name == child.Name); // every child is a router or a worker
                _workers[worker] = LaunchWorker(_workers[worker].Role, child.Name);
            }

            // The launch appended the new process: it takes the old one's place in the start order (children stop in reverse).
            _children[_children.IndexOf(child)] = _children[^1];
            _children.RemoveAt(_children.Count - 1);
        }
    }

    private const int PortRelaunches = 3;
    private const string RelaunchMarker = "--- cluster: starting again on new ports";

    /// <summary>Whether a start-up log (since the last relaunch) ends in a bind failure: Kestrel's or the Orleans silo's "address already in use".</summary>
    public static bool StartupPortTaken(string logTail)
    {
        var since = logTail.LastIndexOf(RelaunchMarker, StringComparison.Ordinal);
        var tail = since < 0 ? logTail : logTail[since..];
        return tail.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
    }

    private async Task WaitReadyOnceAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var roles = _routers.Select(r => (r.Name, r.Http)).ToList();
        roles.AddRange(_workers.Select(w => (w.Name, w.Http)));
        await ClusterReadiness.WaitHealthyAsync(roles, DeadChild, timeout, cancellationToken).ConfigureAwait(false);
        await ClusterReadiness.WaitRegisteredAsync(Registry, new ModelId(Spec.EffectiveModelId), _workers.Count, DeadChild, timeout, cancellationToken).ConfigureAwait(false);
        foreach (var router in _routers)
        {
            await RoutableProbe.WaitAsync(router.Grpc, Spec.ApiKey, Spec.EffectiveModelId, DeadChild, timeout, cancellationToken).ConfigureAwait(false);
        }
    }

    private string? DeadChild() => _children.FirstOrDefault(c => c.HasExited && _workers.Any(w => w.Name == c.Name) || c.HasExited && _routers.Any(r => r.Name == c.Name)) is { } dead
        ? $"{dead.Name} exited during start-up; the end of {dead.LogPath}:\n{dead.LogTail()}"
        : null;
}
