using System.Collections.Immutable;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Router.Routing;

namespace Cluster.Router.Coordination;

/// <summary>
/// The router's view of the live workers: an immutable snapshot re-read from <see cref="IWorkerRegistry.ListAsync"/>
/// (by <see cref="WorkerPoolRefresher"/> every <c>Routing:RefreshInterval</c>, and on demand), combined per selection
/// with this router's in-flight counts (<see cref="InFlightTracker"/>). <see cref="NextChangeAsync"/> completes when
/// capacity may have changed (a refresh, a finished request): the admission queue waits on it.
/// </summary>
public sealed class WorkerPool(IWorkerRegistry registry, WorkerClients clients, InFlightTracker inFlight)
{
    private readonly Lock _signalLock = new();
    private volatile Snapshot? _snapshot;
    private TaskCompletionSource _change = NewSignal();
    private bool _subscribed;

    /// <summary>The in-flight counts the candidates carry.</summary>
    public InFlightTracker InFlight => inFlight;

    /// <summary>The last list read (empty before the first refresh).</summary>
    public ImmutableArray<WorkerSnapshot> Workers => _snapshot?.Workers ?? [];

    /// <summary>True once a list has been read.</summary>
    public bool HasSnapshot => _snapshot is not null;

    /// <summary>Re-reads the live workers, drops the channels of workers that left, and signals a change.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        EnsureSubscribed();
        var workers = await registry.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        _snapshot = new Snapshot(workers);
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
            if (worker.Info.Model != model || excluded.Contains(worker.Info.Id))
            {
                continue;
            }

            var candidate = new RoutingCandidate(worker, inFlight.Get(worker.Info.Id));
            if (include(candidate))
            {
                builder.Add(candidate);
            }
        }

        return builder.ToImmutable();
    }

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
