namespace Cluster.ClusterState.Model;

/// <summary>A worker's live load, sent with every heartbeat; the input of the routing cost functions (ARCHITECTURE §6).</summary>
/// <param name="FreeKvBlocks">KV blocks it can still allocate.</param>
/// <param name="Running">Sequences in its running batch.</param>
/// <param name="Waiting">Sequences queued behind the running batch.</param>
/// <param name="QueuedPrefillTokens">Prompt tokens admitted but not yet prefilled.</param>
/// <param name="PrefillTokensPerSecond">Measured prefill throughput (0 until measured).</param>
/// <param name="EventSequence">Sequence number of the last KV event it published (informational; the index keeps its own).</param>
public sealed record WorkerLoad(
    int FreeKvBlocks,
    int Running,
    int Waiting,
    long QueuedPrefillTokens,
    double PrefillTokensPerSecond,
    long EventSequence)
{
    /// <summary>The load of a worker that has just started: nothing running, nothing measured.</summary>
    public static WorkerLoad Idle(int freeKvBlocks) => new(freeKvBlocks, 0, 0, 0, 0, 0);
}
