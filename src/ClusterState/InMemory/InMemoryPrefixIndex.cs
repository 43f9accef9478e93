using System.Collections.Immutable;
using System.Diagnostics;
using Cluster.ClusterState.Events;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;

namespace Cluster.ClusterState.InMemory;

/// <summary>
/// The embedded prefix index (no Redis configured): the same two maps as the Redis keys (block → workers,
/// worker → blocks) plus the last applied sequence per worker, behind one lock so every call is atomic.
/// </summary>
public sealed class InMemoryPrefixIndex(ClusterStateInstruments instruments) : IPrefixIndex
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(ModelId Model, BlockHash Block), HashSet<WorkerId>> _holders = [];
    private readonly Dictionary<(ModelId Model, WorkerId Worker), WorkerBlocks> _workers = [];

    public Task<IndexWriteOutcome> ApplyAsync(KvEventBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_lock)
        {
            var state = GetOrAdd(batch.Model, batch.Worker);
            if (batch.FirstSequence != state.LastSequence + 1)
            {
                instruments.ResyncRequested(ClusterStateInstruments.Reasons.Gap);
                return Task.FromResult(IndexWriteOutcome.ResyncRequired);
            }

            foreach (var e in batch.Events)
            {
                switch (e)
                {
                    case BlockStoredEvent stored:
                        foreach (var block in stored.Blocks) { Add(batch.Model, batch.Worker, state, block); }
                        break;
                    case BlockRemovedEvent removed:
                        foreach (var block in removed.Blocks) { Remove(batch.Model, batch.Worker, state, block); }
                        break;
                    case AllClearedEvent:
                        Clear(batch.Model, batch.Worker, state);
                        break;
                    default:
                        throw new ArgumentException($"Unknown KV event type {e.GetType().Name}.", nameof(batch));
                }
            }

            state.LastSequence = batch.LastSequence;
        }

        instruments.EventsApplied(batch.Events.Count);
        return Task.FromResult(IndexWriteOutcome.Applied);
    }

    public Task<IndexWriteOutcome> ReplaceAllAsync(ModelId model, WorkerId worker, IReadOnlyCollection<BlockHash> blocks, long lastSequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentOutOfRangeException.ThrowIfNegative(lastSequence);
        lock (_lock)
        {
            var state = GetOrAdd(model, worker);
            Clear(model, worker, state);
            foreach (var block in blocks) { Add(model, worker, state, block); }
            state.LastSequence = lastSequence;
        }

        return Task.FromResult(IndexWriteOutcome.Applied);
    }

    public Task<PrefixOverlap> FindOverlapAsync(ModelId model, IReadOnlyList<BlockHash> promptBlocks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptBlocks);
        var started = Stopwatch.GetTimestamp();
        var matched = new Dictionary<WorkerId, int>();
        lock (_lock)
        {
            if (promptBlocks.Count > 0 && _holders.TryGetValue((model, promptBlocks[0]), out var first))
            {
                var alive = new List<WorkerId>(first);
                foreach (var w in alive) { matched[w] = 1; }
                for (var i = 1; i < promptBlocks.Count && alive.Count > 0; i++)
                {
                    if (!_holders.TryGetValue((model, promptBlocks[i]), out var holders))
                    {
                        break;
                    }

                    alive.RemoveAll(w => !holders.Contains(w));
                    foreach (var w in alive) { matched[w] = i + 1; }
                }
            }
        }

        var result = matched.Count == 0 ? PrefixOverlap.None : new PrefixOverlap(matched.ToImmutableDictionary(), true);
        instruments.LookupCompleted(matched.Count == 0 ? ClusterStateInstruments.Outcomes.Miss : ClusterStateInstruments.Outcomes.Hit, ClusterStateInstruments.Since(started));
        return Task.FromResult(result);
    }

    public Task<bool> RemoveWorkerAsync(ModelId model, WorkerId worker, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_workers.Remove((model, worker), out var state))
            {
                Clear(model, worker, state);
            }
        }

        return Task.FromResult(true);
    }

    private WorkerBlocks GetOrAdd(ModelId model, WorkerId worker)
    {
        if (!_workers.TryGetValue((model, worker), out var state))
        {
            state = new WorkerBlocks();
            _workers[(model, worker)] = state;
        }

        return state;
    }

    private void Add(ModelId model, WorkerId worker, WorkerBlocks state, BlockHash block)
    {
        state.Blocks.Add(block);
        if (!_holders.TryGetValue((model, block), out var holders))
        {
            holders = [];
            _holders[(model, block)] = holders;
        }

        holders.Add(worker);
    }

    private void Remove(ModelId model, WorkerId worker, WorkerBlocks state, BlockHash block)
    {
        state.Blocks.Remove(block);
        if (_holders.TryGetValue((model, block), out var holders) && holders.Remove(worker) && holders.Count == 0)
        {
            _holders.Remove((model, block));
        }
    }

    private void Clear(ModelId model, WorkerId worker, WorkerBlocks state)
    {
        foreach (var block in state.Blocks.ToList()) { Remove(model, worker, state, block); }
    }

    private sealed class WorkerBlocks
    {
        public HashSet<BlockHash> Blocks { get; } = [];

        public long LastSequence { get; set; }
    }
}
