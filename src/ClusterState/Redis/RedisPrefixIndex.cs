using System.Collections.Immutable;
using System.Diagnostics;
using Cluster.ClusterState.Events;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cluster.ClusterState.Redis;

/// <summary>
/// The prefix index in Redis (keys in README.md): every write is one Lua script (atomic, checks the sequence number),
/// every lookup one EVALSHA. When Redis fails, lookups answer <see cref="PrefixOverlap.Unavailable"/> and writes
/// <see cref="IndexWriteOutcome.ResyncRequired"/>; nothing throws.
/// </summary>
public sealed partial class RedisPrefixIndex(RedisConnection connection, ClusterStateInstruments instruments, ILogger<RedisPrefixIndex> logger) : IPrefixIndex
{
    private readonly RedisKeys _keys = connection.Keys;

    public async Task<IndexWriteOutcome> ApplyAsync(KvEventBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var args = new List<RedisValue>
        {
            _keys.BlockPrefix(batch.Model), batch.Worker.Value, batch.FirstSequence, batch.LastSequence,
        };
        foreach (var e in batch.Events)
        {
            var (op, blocks) = e switch
            {
                BlockStoredEvent stored => ("S", stored.Blocks),
                BlockRemovedEvent removed => ("R", removed.Blocks),
                AllClearedEvent => ("C", []),
                _ => throw new ArgumentException($"Unknown KV event type {e.GetType().Name}.", nameof(batch)),
            };
            args.Add(op);
            args.Add(blocks.Count);
            foreach (var block in blocks) { args.Add(block.ToString()); }
        }

        RedisKey[] keys = [_keys.Sequence(batch.Model, batch.Worker), _keys.WorkerBlocks(batch.Model, batch.Worker)];
        var (ok, result) = await connection.TryAsync(
            PrefixIndexScripts.Apply.Name, db => PrefixIndexScripts.Apply.EvaluateAsync(db, keys, [.. args]), cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            instruments.ResyncRequested(ClusterStateInstruments.Reasons.Unavailable);
            LogBatchDropped(logger, batch.Worker, batch.FirstSequence, batch.LastSequence);
            return IndexWriteOutcome.ResyncRequired;
        }

        var reply = (RedisResult[])result!;
        if ((long)reply[0] == 1)
        {
            instruments.EventsApplied(batch.Events.Count);
            return IndexWriteOutcome.Applied;
        }

        instruments.ResyncRequested(ClusterStateInstruments.Reasons.Gap);
        LogSequenceGap(logger, batch.Worker, batch.Model, (long)reply[1], batch.FirstSequence);
        return IndexWriteOutcome.ResyncRequired;
    }

    public async Task<IndexWriteOutcome> ReplaceAllAsync(ModelId model, WorkerId worker, IReadOnlyCollection<BlockHash> blocks, long lastSequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfNegative(lastSequence);
        var args = new RedisValue[3 + blocks.Count];
        args[0] = _keys.BlockPrefix(model);
        args[1] = worker.Value;
        args[2] = lastSequence;
        var i = 3;
        foreach (var block in blocks) { args[i++] = block.ToString(); }

        RedisKey[] keys = [_keys.Sequence(model, worker), _keys.WorkerBlocks(model, worker)];
        var (ok, _) = await connection.TryAsync(
            PrefixIndexScripts.ReplaceAll.Name, db => PrefixIndexScripts.ReplaceAll.EvaluateAsync(db, keys, args), cancellationToken).ConfigureAwait(false);
        if (ok)
        {
            LogReplacedAll(logger, worker, model, blocks.Count, lastSequence);
        }

        return ok ? IndexWriteOutcome.Applied : IndexWriteOutcome.ResyncRequired;
    }

    public async Task<PrefixOverlap> FindOverlapAsync(ModelId model, IReadOnlyList<BlockHash> promptBlocks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptBlocks);
        if (promptBlocks.Count == 0)
        {
            return PrefixOverlap.None;
        }

        var started = Stopwatch.GetTimestamp();
        RedisKey[] keys = [_keys.Block(model, promptBlocks[0])];
        var args = new RedisValue[promptBlocks.Count + 2];
        args[0] = _keys.BlockPrefix(model);
        args[1] = _keys.WorkerBlocksPrefix(model);
        for (var i = 0; i < promptBlocks.Count; i++) { args[i + 2] = promptBlocks[i].ToString(); }

        var (ok, result) = await connection.TryAsync(
            PrefixIndexScripts.FindOverlap.Name, db => PrefixIndexScripts.FindOverlap.EvaluateAsync(db, keys, args), cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            instruments.LookupCompleted(ClusterStateInstruments.Outcomes.Unavailable, ClusterStateInstruments.Since(started));
            return PrefixOverlap.Unavailable;
        }

        var reply = (RedisResult[])result!;
        if (reply.Length == 0)
        {
            instruments.LookupCompleted(ClusterStateInstruments.Outcomes.Miss, ClusterStateInstruments.Since(started));
            return PrefixOverlap.None;
        }

        var matched = ImmutableDictionary.CreateBuilder<WorkerId, int>();
        for (var i = 0; i + 1 < reply.Length; i += 2) { matched[new WorkerId((string)reply[i]!)] = (int)reply[i + 1]; }
        instruments.LookupCompleted(ClusterStateInstruments.Outcomes.Hit, ClusterStateInstruments.Since(started));
        return new PrefixOverlap(matched.ToImmutable(), true);
    }

    public async Task<bool> RemoveWorkerAsync(ModelId model, WorkerId worker, CancellationToken cancellationToken = default)
    {
        RedisKey[] keys = [_keys.Sequence(model, worker), _keys.WorkerBlocks(model, worker)];
        RedisValue[] args = [_keys.BlockPrefix(model), worker.Value];
        var (ok, _) = await connection.TryAsync(
            PrefixIndexScripts.RemoveWorker.Name, db => PrefixIndexScripts.RemoveWorker.EvaluateAsync(db, keys, args), cancellationToken).ConfigureAwait(false);
        return ok;
    }
}
