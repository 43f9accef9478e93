using System.Collections.Immutable;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Worker.Tests.Support;

/// <summary>
/// A registry whose registration waits for <see cref="Answer"/> (an accepted one then goes to the inner registry, if
/// any), and whose heartbeats answer <see cref="HeartbeatAnswer"/> (unset: the inner registry's answer, or Unavailable
/// without one). Everything else goes to the inner registry, or answers as an empty one.
/// </summary>
public sealed class GatedRegistry(IWorkerRegistry? inner = null) : IWorkerRegistry
{
    private readonly TaskCompletionSource<RegistryOutcome> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private RegistryOutcome? _heartbeatAnswer;
    private int _heartbeats;

    /// <summary>Completed when the worker's registration reached the registry.</summary>
    public TaskCompletionSource Registering { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RegistryOutcome? HeartbeatAnswer
    {
        get { lock (_gate) return _heartbeatAnswer; }
        set { lock (_gate) _heartbeatAnswer = value; }
    }

    public int Heartbeats => Volatile.Read(ref _heartbeats);

    /// <summary>Lets the held registration answer <paramref name="outcome"/>.</summary>
    public void Answer(RegistryOutcome outcome) => _answer.TrySetResult(outcome);

    public async Task<RegistryOutcome> RegisterAsync(WorkerInfo info, WorkerLoad load, TimeSpan? heartbeatTtl = null, CancellationToken cancellationToken = default)
    {
        Registering.TrySetResult();
        var outcome = await _answer.Task.WaitAsync(cancellationToken);
        return inner is not null && outcome == RegistryOutcome.Accepted ? await inner.RegisterAsync(info, load, heartbeatTtl, cancellationToken) : outcome;
    }

    public Task<RegistryOutcome> HeartbeatAsync(WorkerId worker, WorkerLoad load, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _heartbeats);
        return HeartbeatAnswer is { } answer ? Task.FromResult(answer)
            : inner?.HeartbeatAsync(worker, load, cancellationToken) ?? Task.FromResult(RegistryOutcome.Unavailable);
    }

    public Task<RegistryOutcome> DeregisterAsync(WorkerId worker, CancellationToken cancellationToken = default) =>
        inner?.DeregisterAsync(worker, cancellationToken) ?? Task.FromResult(RegistryOutcome.Accepted);

    public Task<ImmutableArray<WorkerSnapshot>> ListAsync(ModelId? model = null, WorkerRole? role = null, CancellationToken cancellationToken = default) =>
        inner?.ListAsync(model, role, cancellationToken) ?? Task.FromResult(ImmutableArray<WorkerSnapshot>.Empty);

    public Task<int> RemoveExpiredAsync(CancellationToken cancellationToken = default) => inner?.RemoveExpiredAsync(cancellationToken) ?? Task.FromResult(0);
}
