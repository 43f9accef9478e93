using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cluster.ClusterState.Redis;

/// <summary>
/// The worker registry in Redis: <c>{prefix}workers</c> HASH of JSON records, liveness by <c>{prefix}hb:{worker}</c>
/// keys with a TTL. Heartbeats rewrite the record from the info this process registered (one script, one round trip).
/// When Redis fails, writes answer <see cref="RegistryOutcome.Unavailable"/> and lists serve the last snapshot read.
/// </summary>
public sealed partial class RedisWorkerRegistry(
    RedisConnection connection,
    TimeProvider timeProvider,
    IOptions<ClusterStateOptions> options,
    ClusterStateInstruments instruments,
    ILogger<RedisWorkerRegistry> logger) : IWorkerRegistry
{
    private readonly RedisKeys _keys = connection.Keys;
    private readonly ConcurrentDictionary<WorkerId, (WorkerInfo Info, TimeSpan Ttl)> _registeredHere = new();
    private ImmutableArray<WorkerSnapshot> _lastSnapshot = []; // last list read from Redis, served while it is down

    public async Task<RegistryOutcome> RegisterAsync(WorkerInfo info, WorkerLoad load, TimeSpan? heartbeatTtl = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(load);
        info.Validate();
        var ttl = heartbeatTtl ?? options.Value.HeartbeatTtl;
        ArgumentOutOfRangeException.ThrowIfLessThan(ttl, TimeSpan.FromMilliseconds(1), nameof(heartbeatTtl));
        _registeredHere[info.Id] = (info, ttl);
        var (ok, _) = await Write(RegistryScripts.Register, info, load, ttl, cancellationToken).ConfigureAwait(false);
        if (ok)
        {
            LogRegistered(logger, info.Id, info.Role, info.Model, ttl);
        }

        return ok ? RegistryOutcome.Accepted : RegistryOutcome.Unavailable;
    }

    public async Task<RegistryOutcome> HeartbeatAsync(WorkerId worker, WorkerLoad load, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(load);
        if (!_registeredHere.TryGetValue(worker, out var registered))
        {
            var (found, stored) = await connection.TryAsync("registry.get", db => db.HashGetAsync(_keys.Workers, worker.Value), cancellationToken).ConfigureAwait(false);
            if (!found)
            {
                return RegistryOutcome.Unavailable;
            }

            if (stored.IsNull)
            {
                return RegistryOutcome.NotRegistered;
            }

            var record = JsonSerializer.Deserialize((string)stored!, WorkerRecordJsonContext.Default.WorkerRecord)!;
            registered = (record.ToInfo(), TimeSpan.FromMilliseconds(record.TtlMs));
        }

        var (ok, result) = await Write(RegistryScripts.Heartbeat, registered.Info, load, registered.Ttl, cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            return RegistryOutcome.Unavailable;
        }

        return (long)result == 1 ? RegistryOutcome.Accepted : RegistryOutcome.NotRegistered;
    }

    public async Task<RegistryOutcome> DeregisterAsync(WorkerId worker, CancellationToken cancellationToken = default)
    {
        _registeredHere.TryRemove(worker, out _);
        RedisKey[] keys = [_keys.Workers, _keys.Heartbeat(worker)];
        RedisValue[] args = [_keys.Prefix, worker.Value];
        var (ok, _) = await connection.TryAsync(
            RegistryScripts.Deregister.Name, db => RegistryScripts.Deregister.EvaluateAsync(db, keys, args), cancellationToken).ConfigureAwait(false);
        if (ok)
        {
            LogDeregistered(logger, worker);
        }

        return ok ? RegistryOutcome.Accepted : RegistryOutcome.Unavailable;
    }

    public async Task<ImmutableArray<WorkerSnapshot>> ListAsync(ModelId? model = null, WorkerRole? role = null, CancellationToken cancellationToken = default)
    {
        RedisKey[] keys = [_keys.Workers];
        RedisValue[] args = [_keys.Prefix];
        var (ok, result) = await connection.TryAsync(
            RegistryScripts.ListLive.Name, db => RegistryScripts.ListLive.EvaluateAsync(db, keys, args), cancellationToken).ConfigureAwait(false);
        if (ok)
        {
            var snapshot = ((RedisResult[])result!)
                .Select(r => JsonSerializer.Deserialize((string)r!, WorkerRecordJsonContext.Default.WorkerRecord)!.ToSnapshot())
                .OrderBy(s => s.Info.Id.Value, StringComparer.Ordinal)
                .ToImmutableArray();
            ImmutableInterlocked.InterlockedExchange(ref _lastSnapshot, snapshot);
        }

        var last = ImmutableInterlocked.InterlockedCompareExchange(ref _lastSnapshot, default, default);
        return [.. (last.IsDefault ? [] : last).Where(s => (model is null || s.Info.Model == model) && (role is null || s.Info.Role == role))];
    }

    public async Task<int> RemoveExpiredAsync(CancellationToken cancellationToken = default)
    {
        RedisKey[] keys = [_keys.Workers];
        RedisValue[] args = [_keys.Prefix];
        var (ok, result) = await connection.TryAsync(
            RegistryScripts.Sweep.Name, db => RegistryScripts.Sweep.EvaluateAsync(db, keys, args), cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            return 0;
        }

        var dead = (RedisResult[])result!;
        foreach (var id in dead) { LogExpired(logger, (string)id!); }
        instruments.WorkersExpired(dead.Length);
        return dead.Length;
    }

    private Task<(bool Ok, RedisResult Value)> Write(RedisScript script, WorkerInfo info, WorkerLoad load, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(WorkerRecord.From(info, load, timeProvider.GetUtcNow(), ttl), WorkerRecordJsonContext.Default.WorkerRecord);
        RedisKey[] keys = [_keys.Workers, _keys.Heartbeat(info.Id)];
        RedisValue[] args = [info.Id.Value, json, (long)Math.Ceiling(ttl.TotalMilliseconds)];
        return connection.TryAsync(script.Name, db => script.EvaluateAsync(db, keys, args), cancellationToken);
    }
}
