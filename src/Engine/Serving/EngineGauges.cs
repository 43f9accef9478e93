namespace Cluster.Engine.Serving;

/// <summary>What an engine holds right now (a snapshot for metrics).</summary>
/// <param name="Running">Sequences scheduled in the running batch.</param>
/// <param name="Waiting">Sequences waiting for blocks or a batch slot.</param>
/// <param name="FreeBlocks">Blocks neither referenced nor cached.</param>
/// <param name="UsedBlocks">Blocks referenced by sequences, reservations or kept exports.</param>
/// <param name="CachedBlocks">Blocks holding a prefix-cache entry that nobody references (evictable); free + used + cached = total.</param>
/// <param name="TotalBlocks">Blocks in the cache.</param>
/// <param name="QueriedPromptTokens">Tokens looked up in the prefix cache so far (at admission).</param>
/// <param name="HitPromptTokens">Of those, tokens found cached so far.</param>
/// <param name="Preemptions">Sequences preempted so far.</param>
/// <param name="BypassedAdmissions">Sequences admitted ahead of an earlier arrival whose blocks did not fit, so far.</param>
public readonly record struct EngineGauges(
    int Running, int Waiting, int FreeBlocks, int UsedBlocks, int CachedBlocks, int TotalBlocks,
    long QueriedPromptTokens, long HitPromptTokens, long Preemptions, long BypassedAdmissions = 0)
{
    /// <summary>Of <see cref="Running"/>, sequences of low priority (batch work).</summary>
    public int LowPriorityRunning { get; init; }

    /// <summary>Of <see cref="Waiting"/>, sequences of low priority.</summary>
    public int LowPriorityWaiting { get; init; }

    /// <summary>Of <see cref="Preemptions"/>, those of low-priority sequences.</summary>
    public long LowPriorityPreemptions { get; init; }
}

/// <summary>
/// One finished step, for metrics: its wall time, the tokens it ran, whether any chunk was a prefill, and whether it was
/// replayed from a CUDA graph.
/// </summary>
public readonly record struct StepReport(TimeSpan Duration, int Tokens, bool HasPrefill, bool HasDecode, bool FromGraph = false);
