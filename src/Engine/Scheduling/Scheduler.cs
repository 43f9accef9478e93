using System.Runtime.InteropServices;
using Cluster.Engine.KvCache;

namespace Cluster.Engine.Scheduling;

/// <summary>
/// Iteration-level continuous batching (Orca) with chunked prefill that piggybacks decodes (Sarathi-Serve): each
/// step takes every running decode (one token each), then continues running prefills, then admits waiting requests
/// in arrival order, until the step's token budget is spent (one whose blocks do not fit may be overtaken by later ones
/// that do, at most Engine:AdmissionBypassLimit times). When a sequence's next tokens find no free block, the
/// latest-arrived running sequence not yet in this step is preempted by recompute (its blocks freed, its tokens so
/// far prefilled again later). Owns sequence order only; the engine runs the chunks. Not thread-safe.
/// </summary>
internal sealed class Scheduler(KvCacheManager kv, EngineOptions options)
{
    private readonly List<EngineSequence> _waiting = [];   // by arrival
    private readonly List<EngineSequence> _running = [];   // by arrival

    public int WaitingCount => _waiting.Count;
    public int RunningCount => _running.Count;
    public bool HasWork => _waiting.Count > 0 || _running.Count > 0;

    /// <summary>Waiting sequences looked at past ones whose blocks do not fit, per step (bounds the step's lookups).</summary>
    public const int AdmissionLookahead = 32;

    /// <summary>Sequences admitted ahead of an earlier arrival whose blocks did not fit, so far.</summary>
    public long BypassedAdmissions { get; private set; }

    /// <summary>Preemptions so far.</summary>
    public long Preemptions { get; private set; }

    /// <summary>Tokens admitted sequences found in the prefix cache so far.</summary>
    public long CachedTokens { get; private set; }

    /// <summary>Tokens of the sequences looked up in the prefix cache when admitted (the denominator of <see cref="CachedTokens"/>).</summary>
    public long QueriedTokens { get; private set; }

    /// <summary>Queues a request whose tokens must be computed.</summary>
    public void AddWaiting(EngineSequence sequence) => InsertByArrival(_waiting, sequence);

    /// <summary>Adds a sequence that already holds blocks with its KV (imported).</summary>
    public void AddRunning(EngineSequence sequence) => InsertByArrival(_running, sequence);

    /// <summary>Removes the sequence (finished or cancelled); frees its blocks unless <paramref name="keepBlocks"/>.</summary>
    public bool Remove(EngineSequence sequence, bool keepBlocks = false)
    {
        var removed = _running.Remove(sequence) || _waiting.Remove(sequence);
        if (sequence.HoldsBlocks && !keepBlocks)
        {
            kv.Free(sequence.Id);
            sequence.HoldsBlocks = false;
        }
        return removed;
    }

    /// <summary>Time spent in <see cref="Schedule"/> so far (step profiling).</summary>
    public TimeSpan ScheduleTime { get; private set; }

    /// <summary>The chunks of the next step (empty when nothing can run).</summary>
    public IReadOnlyList<ScheduledChunk> Schedule()
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return ScheduleStep();
        }
        finally
        {
            ScheduleTime += System.Diagnostics.Stopwatch.GetElapsedTime(start);
        }
    }

    private List<ScheduledChunk> ScheduleStep()
    {
        var budget = options.MaxBatchTokens;
        var batch = new List<ScheduledChunk>();
        var scheduled = new HashSet<EngineSequence>();
        var preempted = false;
        foreach (var sequence in _running.OrderBy(s => s.Remaining > 1 ? 1 : 0).ThenBy(s => s.Arrival).ToList())
        {
            if (budget == 0) break;
            if (!_running.Contains(sequence)) continue;        // preempted for an earlier one in this step
            var count = Math.Min(sequence.Remaining, budget);
            if (!TryMakeRoom(sequence, count, scheduled))
            {
                preempted = true;
                continue;
            }
            batch.Add(new ScheduledChunk(sequence, sequence.Computed, count));
            scheduled.Add(sequence);
            budget -= count;
        }
        // New work only when nothing was preempted: a preempted sequence would take blocks back at once.
        if (!preempted) Admit(batch, ref budget);
        return batch;
    }

    // Admits waiting sequences in arrival order while the budget, the batch and the free blocks allow. A sequence whose
    // blocks do not fit is passed over (at most AdmissionLookahead of them looked at per step) unless it has already been
    // overtaken Engine:AdmissionBypassLimit times: then nothing behind it is admitted until it is.
    private void Admit(List<ScheduledChunk> batch, ref int budget)
    {
        List<EngineSequence>? passedOver = null;
        var index = 0;
        while (budget > 0 && index < _waiting.Count && _running.Count < options.MaxSequences)
        {
            var sequence = _waiting[index];
            if (passedOver is not null && passedOver.Exists(p => p.Bypassed >= options.AdmissionBypassLimit)) return;
            var allocation = kv.TryAllocate(sequence.Id, CollectionsMarshal.AsSpan(sequence.Tokens), sequence.CacheSalt);
            if (allocation is null)
            {
                if (options.AdmissionBypassLimit == 0 || (passedOver?.Count ?? 0) >= AdmissionLookahead) return;
                (passedOver ??= []).Add(sequence);
                index++;
                continue;
            }

            _waiting.RemoveAt(index);
            if (passedOver is not null)
            {
                foreach (var earlier in passedOver) earlier.Bypassed++;
                BypassedAdmissions++;
            }

            sequence.HoldsBlocks = true;
            sequence.Computed = allocation.CachedTokens;
            sequence.CachedTokens ??= allocation.CachedTokens;
            CachedTokens += allocation.CachedTokens;
            QueriedTokens += sequence.Tokens.Count;
            InsertByArrival(_running, sequence);
            var count = Math.Min(sequence.Remaining, budget);
            batch.Add(new ScheduledChunk(sequence, sequence.Computed, count));
            budget -= count;
        }
    }

    // Grows the sequence's blocks to hold `count` more tokens, preempting later arrivals not yet scheduled in this
    // step; preempts the sequence itself (false) when nobody else can give way.
    private bool TryMakeRoom(EngineSequence sequence, int count, HashSet<EngineSequence> scheduled)
    {
        var needed = sequence.Computed + count - kv.Capacity(sequence.Id);
        while (needed > 0 && !kv.TryGrow(sequence.Id, needed))
        {
            var victim = _running.LastOrDefault(s => s != sequence && !scheduled.Contains(s));
            if (victim is null || victim.Arrival < sequence.Arrival)
            {
                Preempt(sequence);
                return false;
            }
            Preempt(victim);
        }
        return true;
    }

    private void Preempt(EngineSequence sequence)
    {
        _running.Remove(sequence);
        kv.Free(sequence.Id);
        sequence.HoldsBlocks = false;
        sequence.Computed = 0;
        InsertByArrival(_waiting, sequence);
        Preemptions++;
    }

    private static void InsertByArrival(List<EngineSequence> list, EngineSequence sequence)
    {
        var i = list.FindLastIndex(s => s.Arrival <= sequence.Arrival);
        list.Insert(i + 1, sequence);
    }
}
