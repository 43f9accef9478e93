using System.Collections.Immutable;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Microsoft.Extensions.Options;

namespace Cluster.ClusterState.InMemory;

/// <summary>
/// The embedded worker registry (no Redis configured). Liveness is judged on <see cref="TimeProvider"/> time, so tests
/// drive expiry with a fake clock: a worker is live while now &lt; last heartbeat + its TTL.
/// </summary>
public sealed class InMemoryWorkerRegistry(
    IPrefixIndex prefixIndex,
    TimeProvider timeProvider,
    IOptions<ClusterStateOptions> options,
    ClusterStateInstruments instruments) : IWorkerRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<WorkerId, Entry> _entries = [];

    public Task<RegistryOutcome> RegisterAsync(WorkerInfo info, WorkerLoad load, TimeSpan? heartbeatTtl = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(load);
        info.Validate();
        var ttl = heartbeatTtl ?? options.Value.HeartbeatTtl;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero, nameof(heartbeatTtl));
        lock (_lock)
        {
            _entries[info.Id] = new Entry(new WorkerSnapshot(info, load, timeProvider.GetUtcNow()), ttl);
        }

        return Task.FromResult(RegistryOutcome.Accepted);
    }

    public Task<RegistryOutcome> HeartbeatAsync(WorkerId worker, WorkerLoad load, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(load);
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(worker, out var entry) || !entry.IsLive(now))
            {
                return Task.FromResult(RegistryOutcome.NotRegistered);
            }

            _entries[worker] = entry with { Snapshot = entry.Snapshot with { Load = load, LastHeartbeat = now } };
        }

        return Task.FromResult(RegistryOutcome.Accepted);
    }

    public async Task<RegistryOutcome> DeregisterAsync(WorkerId worker, CancellationToken cancellationToken = default)
    {
        Entry? removed;
        lock (_lock)
        {
            _entries.Remove(worker, out removed);
        }

        if (removed is not null)
        {
            await prefixIndex.RemoveWorkerAsync(removed.Snapshot.Info.Model, worker, cancellationToken).ConfigureAwait(false);
        }

        return RegistryOutcome.Accepted;
    }

    public Task<ImmutableArray<WorkerSnapshot>> ListAsync(ModelId? model = null, WorkerRole? role = null, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            return Task.FromResult(_entries.Values
                .Where(e => e.IsLive(now))
                .Select(e => e.Snapshot)
                .Where(s => (model is null || s.Info.Model == model) && (role is null || s.Info.Role == role))
                .OrderBy(s => s.Info.Id.Value, StringComparer.Ordinal)
                .ToImmutableArray());
        }
    }

    public async Task<int> RemoveExpiredAsync(CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        List<WorkerInfo> dead;
        lock (_lock)
        {
            dead = _entries.Values.Where(e => !e.IsLive(now)).Select(e => e.Snapshot.Info).ToList();
            foreach (var info in dead) { _entries.Remove(info.Id); }
        }

        foreach (var info in dead)
        {
            await prefixIndex.RemoveWorkerAsync(info.Model, info.Id, cancellationToken).ConfigureAwait(false);
        }

        instruments.WorkersExpired(dead.Count);
        return dead.Count;
    }

    private sealed record Entry(WorkerSnapshot Snapshot, TimeSpan Ttl)
    {
        public bool IsLive(DateTimeOffset now) => now < Snapshot.LastHeartbeat + Ttl;
    }
}
