using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Cluster.Router.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Cli.Bench;

/// <summary>
/// The policy half of a routing decision, as <c>RequestRun</c> makes it: candidates from the live-worker snapshot of
/// <see cref="WorkerPool"/> (filtered by model and role, combined with in-flight counts), then the configured prefill
/// and decode policies. Workers are registered in the in-memory registry with a seeded random load.
/// </summary>
internal sealed class RouterDecisionBenchDecider
{
    private static readonly IReadOnlySet<WorkerId> NoneExcluded = new HashSet<WorkerId>();
    private readonly WorkerPool _pool;
    private readonly IPrefillPolicy _prefill;
    private readonly IDecodePolicy _decode;
    private readonly ModelId _model;
    private readonly int _blockSize;
    private readonly Dictionary<string, int> _chosen = [];

    private RouterDecisionBenchDecider(WorkerPool pool, IPrefillPolicy prefill, IDecodePolicy decode, ModelId model, int blockSize)
    {
        _pool = pool;
        _prefill = prefill;
        _decode = decode;
        _model = model;
        _blockSize = blockSize;
    }

    /// <summary>How often each worker was chosen for prefill (shows the cache term and the load term both act).</summary>
    public string Summary => string.Join(' ', _chosen.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    public static async Task<RouterDecisionBenchDecider> CreateAsync(IServiceProvider services, ModelId model, int workers, int blockSize, CancellationToken ct)
    {
        var registry = services.GetRequiredService<ClusterState.InMemory.InMemoryWorkerRegistry>();
        var random = new Random(7);
        for (var w = 0; w < workers; w++)
        {
            var id = new WorkerId($"worker-{w}"); // the ids RouterIndexBenchWorkload's events use
            var info = new WorkerInfo(id, WorkerRole.Colocated, model, $"http://127.0.0.1:{20000 + w}", $"http://127.0.0.1:{21000 + w}", 8192, 64);
            var load = new WorkerLoad(random.Next(1000, 8192), random.Next(0, 48), 0, random.Next(0, 3000), 8000 + random.Next(0, 2000), 0);
            await registry.RegisterAsync(info, load, TimeSpan.FromHours(1), ct);
        }

        var pool = new WorkerPool(registry, services.GetRequiredService<WorkerClients>(), services.GetRequiredService<InFlightTracker>());
        await pool.RefreshAsync(ct);
        return new RouterDecisionBenchDecider(pool, services.GetRequiredService<IPrefillPolicy>(), services.GetRequiredService<IDecodePolicy>(), model, blockSize);
    }

    /// <summary>Chooses P and D; returns D.</summary>
    public WorkerId Decide(PrefixOverlap overlap, int promptTokens)
    {
        var request = new RoutingRequest(promptTokens, _blockSize);
        var prefill = _prefill.Select(_pool.Candidates(_model, c => c.CanPrefill, NoneExcluded), overlap, request).Chosen
            ?? throw new InvalidOperationException("no prefill worker chosen");
        var decode = _decode.Select(_pool.Candidates(_model, c => c.CanDecode, NoneExcluded), overlap, request).Chosen
            ?? throw new InvalidOperationException("no decode worker chosen");
        _chosen[prefill.Id.Value] = _chosen.GetValueOrDefault(prefill.Id.Value) + 1;
        return decode.Id;
    }
}
