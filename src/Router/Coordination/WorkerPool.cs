using System.Collections.Immutable;
using System.Diagnostics;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Router.Routing;

namespace Cluster.Router.Coordination;

/// <summary>
/// The router's view of the live workers: an immutable snapshot re-read from <see cref="IWorkerRegistry.ListAsync"/>
/// (by <see cref="WorkerPoolRefresher"/> every <c>Routing:RefreshInterval</c>, and on demand), combined per selection
/// with this router's in-flight counts (<see cref="InFlightTracker"/>) and, with the router tier, the work other routers
/// admitted (<see cref="IOtherRoutersLoad"/>). <see cref="NextChangeAsync"/> completes when
/// capacity may have changed (a refresh, a finished request): the admission queue waits on it. A worker that refused a
/// connection is suspect (<see cref="Suspect"/>): left out of every request's candidates until the registry shows a
/// heartbeat newer than the one seen when it was suspected, or <see cref="MaxSuspicion"/> passes.
/// </summary>
public sealed class WorkerPool(IWorkerRegistry registry, WorkerClients clients, InFlightTracker inFlight, IOtherRoutersLoad? otherRouters = null)
{
    private readonly IOtherRoutersLoad _otherRouters = otherRouters ?? NoOtherRouters.Instance;

    /// <summary>How long a suspect worker stays out without a newer heartbeat (e.g. while the registry is unreachable).</summary>
    public static readonly TimeSpan MaxSuspicion = TimeSpan.FromSeconds(30);

    private readonly Lock _signalLock = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<WorkerId, (DateTimeOffset Heartbeat, long Since)> _suspects = new();
    private volatile Snapshot? _snapshot;
    private TaskCompletionSource _change = NewSignal();
    private bool _subscribed;

    /// <summary>The in-flight counts the candidates carry.</summary>
    public InFlightTracker InFlight => inFlight;

    /// <summary>The last list read (empty before the first refresh).</summary>
    public ImmutableArray<WorkerSnapshot> Workers => _snapshot?.Workers ?? [];

    /// <summary>True once a list has been read.</summary>
    public bool HasSnapshot => _snapshot is not null;

    /// <summary>
    /// Re-reads the live workers, tells <see cref="WorkerClients.Retain"/> which endpoints are live (the channel of a worker
    /// absent for <c>Routing:WorkerChannelGrace</c> is disposed), and signals a change.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        EnsureSubscribed();
        var workers = await registry.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        _snapshot = new Snapshot(workers);
        foreach (var (id, suspicion) in _suspects)
        {
            var seen = workers.FirstOrDefault(w => w.Info.Id == id);
            if (seen is null || seen.LastHeartbeat > suspicion.Heartbeat || Stopwatch.GetElapsedTime(suspicion.Since) > MaxSuspicion)
            {
                _suspects.TryRemove(id, out _); // gone (a re-registration starts clean), re-admitted by a heartbeat, or timed out
            }
        }

        clients.Retain(workers.Select(w => w.Info.GrpcEndpoint));
        Signal();
    }

    /// <summary>Live workers of <paramref name="model"/> that <paramref name="include"/> accepts and are not excluded, ordered by id.</summary>
    public ImmutableArray<RoutingCandidate> Candidates(ModelId model, Func<RoutingCandidate, bool> include, IReadOnlySet<WorkerId> excluded)
    {
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(excluded);
        var builder = ImmutableArray.CreateBuilder<RoutingCandidate>();
        foreach (var worker in Workers)
        {
            if (worker.Info.Model != model || excluded.Contains(worker.Info.Id) || _suspects.ContainsKey(worker.Info.Id))
            {
                continue;
            }

            var id = worker.Info.Id;
            var finished = inFlight.FinishedPrefillTokensSince(id, worker.LastHeartbeat);
            var candidate = new RoutingCandidate(worker, inFlight.Get(id), _otherRouters.Get(id))
            {
                PrefillTokensFinishedSinceHeartbeat = finished.Total,
                LowPriorityPrefillTokensFinishedSinceHeartbeat = finished.LowPriority,
            };
            if (include(candidate))
            {
                builder.Add(candidate);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>
    /// Marks <paramref name="worker"/> suspect (it refused a connection): no request gets it as a candidate until a newer
    /// heartbeat. True when it was not suspect yet (the caller logs and counts it once).
    /// </summary>
    public bool Suspect(WorkerSnapshot worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        var added = _suspects.TryAdd(worker.Info.Id, (worker.LastHeartbeat, Stopwatch.GetTimestamp()));
        if (added)
        {
            Signal();
        }

        return added;
    }

    /// <summary>True while <paramref name="worker"/> is suspect.</summary>
    public bool IsSuspect(WorkerId worker) => _suspects.ContainsKey(worker);

    /// <summary>True when any live worker serves <paramref name="model"/>.</summary>
    public bool Serves(ModelId model) => Workers.Any(w => w.Info.Model == model);

    /// <summary>Completes at the next change of capacity (refresh or released work).</summary>
    public Task NextChangeAsync()
    {
        EnsureSubscribed();
        lock (_signalLock)
        {
            return _change.Task;
        }
    }

    private void EnsureSubscribed()
    {
        lock (_signalLock)
        {
            if (!_subscribed)
            {
                inFlight.Released += Signal;
                _subscribed = true;
            }
        }
    }

    private void Signal()
    {
        TaskCompletionSource fired;
        lock (_signalLock)
        {
            fired = _change;
            _change = NewSignal();
        }

        fired.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Snapshot(ImmutableArray<WorkerSnapshot> Workers);
}
