using System.Runtime.InteropServices;
using Cluster.Engine.KvCache;

namespace Cluster.Engine.Scheduling;

/// <summary>
/// Iteration-level continuous batching (Orca) with chunked prefill that piggybacks decodes (Sarathi-Serve): each
/// step takes every running decode (one token each), then continues running prefills, then admits waiting requests
/// in rank order, until the step's token budget is spent (one whose blocks do not fit may be overtaken by later ones
/// that do, at most Engine:AdmissionBypassLimit times). Rank: <see cref="EnginePriority.Normal"/> before
/// <see cref="EnginePriority.Low"/>, then arrival; running sequences are served normal first too (decodes before
/// prefills within a priority). When a sequence's next tokens find no free block, the lowest-ranked (lowest priority,
/// latest arrival) running sequence not yet in this step is preempted by recompute (its blocks freed, its tokens so
/// far prefilled again later), unless it ranks before the sequence itself, which is then preempted. Low-priority work
/// is not aged: it waits for as long as normal work keeps the step budget, the batch or the blocks full (it fills idle
/// capacity); its prefill chunks can be limited to Engine:LowPriorityPrefillTokens per step, so a normal request
/// arriving during a step waits for a short one. Owns sequence order only; the engine runs the chunks. Not thread-safe.
/// </summary>
internal sealed class Scheduler(KvCacheManager kv, EngineOptions options)
{
    private readonly List<EngineSequence> _waiting = [];   // by rank (priority, then arrival)
    private readonly List<EngineSequence> _running = [];   // by rank

    public int WaitingCount => _waiting.Count;
    public int RunningCount => _running.Count;
    public bool HasWork => _waiting.Count > 0 || _running.Count > 0;

    /// <summary>Waiting sequences looked at past ones whose blocks do not fit, per step (bounds the step's lookups).</summary>
    public const int AdmissionLookahead = 32;

    /// <summary>Sequences admitted ahead of an earlier arrival whose blocks did not fit, so far.</summary>
    public long BypassedAdmissions { get; private set; }

    /// <summary>Preemptions so far.</summary>
    public long Preemptions { get; private set; }

    /// <summary>Of <see cref="Preemptions"/>, those of <see cref="EnginePriority.Low"/> sequences.</summary>
    public long LowPriorityPreemptions { get; private set; }

    /// <summary>Running sequences of <see cref="EnginePriority.Low"/> (a count over the batch).</summary>
    public int LowPriorityRunning => _running.Count(s => s.Priority == EnginePriority.Low);

    /// <summary>Waiting sequences of <see cref="EnginePriority.Low"/> (a count over the queue).</summary>
    public int LowPriorityWaiting => _waiting.Count(s => s.Priority == EnginePriority.Low);

    /// <summary>Tokens admitted sequences found in the prefix cache so far.</summary>
    public long CachedTokens { get; private set; }

    /// <summary>Tokens of the sequences looked up in the prefix cache when admitted (the denominator of <see cref="CachedTokens"/>).</summary>
    public long QueriedTokens { get; private set; }

    /// <summary>Queues a request whose tokens must be computed.</summary>
    public void AddWaiting(EngineSequence sequence) => InsertByRank(_waiting, sequence);

    /// <summary>Adds a sequence that already holds blocks with its KV (imported).</summary>
    public void AddRunning(EngineSequence sequence) => InsertByRank(_running, sequence);

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
        var lowPrefill = options.LowPriorityPrefillTokens > 0 ? options.LowPriorityPrefillTokens : int.MaxValue;
        var batch = new List<ScheduledChunk>();
        var scheduled = new HashSet<EngineSequence>();
        var preempted = false;
        foreach (var sequence in _running.OrderBy(s => s.Priority).ThenBy(s => s.Remaining > 1 ? 1 : 0).ThenBy(s => s.Arrival).ToList())
        {
            if (budget == 0) break;
            if (!_running.Contains(sequence)) continue;        // preempted for an earlier one in this step
            var count = ChunkTokens(sequence, budget, ref lowPrefill);
            if (count == 0) continue;                          // a low prefill, the step's low-priority share spent
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
        if (!preempted) Admit(batch, ref budget, ref lowPrefill);
        return batch;
    }

    // Tokens of the sequence's next chunk: what is left of it, within the step's budget and, for a low-priority prefill,
    // within what is left of the step's low-priority prefill tokens (taken from `lowPrefill`).
    private static int ChunkTokens(EngineSequence sequence, int budget, ref int lowPrefill)
    {
        var count = Math.Min(sequence.Remaining, budget);
        if (sequence.Priority != EnginePriority.Low || sequence.Remaining <= 1) return count;
        count = Math.Min(count, lowPrefill);
        lowPrefill -= count;
        return count;
    }

    // Admits waiting sequences in rank order (normal first, then arrival) while the budget, the batch and the free blocks allow. A sequence whose
    // blocks do not fit is passed over (at most AdmissionLookahead of them looked at per step) unless it has already been
    // overtaken Engine:AdmissionBypassLimit times: then nothing behind it is admitted until it is.
    private void Admit(List<ScheduledChunk> batch, ref int budget, ref int lowPrefill)
    {
        List<EngineSequence>? passedOver = null;
        var index = 0;
        while (budget > 0 && index < _waiting.Count && _running.Count < options.MaxSequences)
        {
            var sequence = _waiting[index];
            if (passedOver is not null && passedOver.Exists(p => p.Bypassed >= options.AdmissionBypassLimit)) return;
            if (sequence.Priority == EnginePriority.Low && lowPrefill == 0) return;   // the queue is by rank: only low ones follow
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
            InsertByRank(_running, sequence);
            var count = ChunkTokens(sequence, budget, ref lowPrefill);
            batch.Add(new ScheduledChunk(sequence, sequence.Computed, count));
            budget -= count;
        }
    }

    // Grows the sequence's blocks to hold `count` more tokens, preempting the lowest-ranked sequences (lowest priority,
    // latest arrival) not yet scheduled in this step; preempts the sequence itself (false) when nobody ranked after it
    // can give way.
    private bool TryMakeRoom(EngineSequence sequence, int count, HashSet<EngineSequence> scheduled)
    {
        var needed = sequence.Computed + count - kv.Capacity(sequence.Id);
        while (needed > 0 && !kv.TryGrow(sequence.Id, needed))
        {
            var victim = _running.LastOrDefault(s => s != sequence && !scheduled.Contains(s));
            if (victim is null || RanksBefore(victim, sequence))
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
        InsertByRank(_waiting, sequence);
        Preemptions++;
        if (sequence.Priority == EnginePriority.Low) LowPriorityPreemptions++;
    }

    // Normal before low, then earlier arrival first.
    private static bool RanksBefore(EngineSequence a, EngineSequence b) =>
        a.Priority != b.Priority ? a.Priority < b.Priority : a.Arrival < b.Arrival;

    private static void InsertByRank(List<EngineSequence> list, EngineSequence sequence)
    {
        var i = list.FindLastIndex(s => !RanksBefore(sequence, s));
        list.Insert(i + 1, sequence);
    }
}
