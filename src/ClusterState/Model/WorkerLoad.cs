using System.Text.Json.Serialization;

namespace Cluster.ClusterState.Model;

/// <summary>A worker's live load, sent with every heartbeat; the input of the routing cost functions (ARCHITECTURE §6).</summary>
/// <param name="FreeKvBlocks">KV blocks it can still allocate.</param>
/// <param name="Running">Sequences in its running batch.</param>
/// <param name="Waiting">Sequences queued behind the running batch.</param>
/// <param name="QueuedPrefillTokens">Prompt tokens admitted but not yet prefilled, of every priority (the total: its
/// meaning is unchanged since before priorities, so a reader that knows nothing of them still reads the whole queue).</param>
/// <param name="PrefillTokensPerSecond">Measured prefill throughput (0 until measured).</param>
/// <param name="EventSequence">Sequence number of the last KV event it published (informational; the index keeps its own).</param>
/// <param name="QueuedLowPriorityPrefillTokens">Of <paramref name="QueuedPrefillTokens"/>, those of requests of low
/// priority (offline batches): the engine schedules normal requests before them, so an online request does not wait
/// behind them. 0 in a heartbeat from a worker that predates the field (JSON without it), which counts its whole queue
/// as normal, as before.</param>
public sealed record WorkerLoad(
    int FreeKvBlocks,
    int Running,
    int Waiting,
    long QueuedPrefillTokens,
    double PrefillTokensPerSecond,
    long EventSequence,
    long QueuedLowPriorityPrefillTokens = 0)
{
    /// <summary>
    /// Of <see cref="QueuedPrefillTokens"/>, those of normal priority (online requests): the total less the low-priority
    /// part, at least 0. Derived, not stored (the stored fields are the total and the low part, so a heartbeat without the
    /// low part reads as all normal).
    /// </summary>
    [JsonIgnore]
    public long QueuedNormalPriorityPrefillTokens => Math.Max(0, QueuedPrefillTokens - QueuedLowPriorityPrefillTokens);

    /// <summary>The load of a worker that has just started: nothing running, nothing measured.</summary>
    public static WorkerLoad Idle(int freeKvBlocks) => new(freeKvBlocks, 0, 0, 0, 0, 0);
}
