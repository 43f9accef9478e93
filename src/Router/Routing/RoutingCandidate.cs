using Cluster.ClusterState.Model;
using RequestPriority = Cluster.Contracts.V1.RequestPriority;
using Cluster.Core.Ids;

namespace Cluster.Router.Routing;

/// <summary>
/// One live worker as the policies see it: its last heartbeat plus the routers' work on it (this router's own in-flight
/// work, and with the router tier every other router's admitted decodes and reported prefills). The effective figures combine the
/// heartbeat and the routers' sum with <c>max</c> (or <c>min</c> for free blocks): the heartbeat already includes
/// whatever of that work had arrived when it was sent, so adding them would count it twice; taking the larger reacts to
/// our own sends at once, to other routers' admissions at the tier view's next refresh (<c>RouterTier:LoadRefreshInterval</c>),
/// and to everything at the next heartbeat.
/// </summary>
/// <param name="Worker">The registry's snapshot of the worker.</param>
/// <param name="InFlight">This router's work on it.</param>
/// <param name="OtherRouters">Other routers' admitted decodes and their KV blocks, and their prefills in flight and those
/// prefills' uncached tokens, on it (router tier, at most a refresh or two old; none without it).</param>
public sealed record RoutingCandidate(WorkerSnapshot Worker, RouterInFlight InFlight, RouterInFlight OtherRouters = default)
{
    /// <summary>The worker's id.</summary>
    public WorkerId Id => Worker.Info.Id;

    /// <summary>
    /// Prompt tokens of this router's prefills on the worker that finished after its heartbeat was stamped (set by the
    /// pool from <see cref="WorkerSnapshot.LastHeartbeat"/>): they are in the heartbeat's queue but no longer queued.
    /// </summary>
    public long PrefillTokensFinishedSinceHeartbeat { get; init; }

    /// <summary>Of <see cref="PrefillTokensFinishedSinceHeartbeat"/>, those of low-priority (batch) prefills.</summary>
    public long LowPriorityPrefillTokensFinishedSinceHeartbeat { get; init; }

    /// <summary>
    /// Prompt tokens waiting to be prefilled on the worker: the heartbeat's figure less this router's prefills finished
    /// since the heartbeat was stamped, or the routers' in-flight tokens (this router's own plus, with the tier, the other routers'
    /// last reports) if larger. <c>max</c>, as for <see cref="Running"/>: the heartbeat already holds whatever of the
    /// routers' prefills had reached the worker, so a sum would count them twice; the routers' sum is the fresher figure
    /// between heartbeats (own at once, the others' within a refresh or two). Without the subtraction a worker that had
    /// drained its queue kept its last heartbeat's queue for up to a heartbeat plus a refresh interval (1.5 s by default)
    /// while its peer's in-flight count grew live, so at 32 requests/s the policy sent dozens in a row to one worker, then
    /// to the other: bursts that piled a whole prefix mix onto one prefill worker's KV cache. Without the other routers'
    /// tokens each of three routers saw a third of a burst's queue and all of them chose the same "faster" worker.
    /// Counting from when the pool read the registry instead of the heartbeat's own stamp missed prefills that finished
    /// between the two (a heartbeat sent during a prefill, read after it ended): the holder of a prefix kept its
    /// finished prefill as queue for up to a second and lost the next request sharing the prefix (Integration
    /// PrefixRoutingTests, CI).
    /// </summary>
    public long QueuedPrefillTokens =>
        Queued(Worker.Load.QueuedPrefillTokens, PrefillTokensFinishedSinceHeartbeat, InFlight.PrefillTokens + OtherRouters.PrefillTokens);

    /// <summary>
    /// Of the work in <see cref="QueuedPrefillTokens"/>, the normal-priority (online) part, estimated the same way from the
    /// normal-priority figures: the heartbeat's normal queue (its total less its low part; all of it from a worker that
    /// reports no low part) less this router's normal prefills finished since, or the routers' normal in-flight tokens if
    /// larger. The worker's engine admits and schedules normal requests before low ones and preempts low ones first, so
    /// this is the queue an online request waits behind: a worker busy with an offline batch is not avoided by online
    /// traffic (it would only run the batch more slowly), and a batch request still sees the whole queue.
    /// </summary>
    public long QueuedNormalPriorityPrefillTokens => Queued(
        Worker.Load.QueuedNormalPriorityPrefillTokens, PrefillTokensFinishedSinceHeartbeat - LowPriorityPrefillTokensFinishedSinceHeartbeat,
        InFlight.NormalPriorityPrefillTokens + OtherRouters.NormalPriorityPrefillTokens);

    /// <summary>
    /// Prompt tokens queued on the worker ahead of a request of <paramref name="priority"/>: only the normal-priority
    /// queue for a normal request (<see cref="QueuedNormalPriorityPrefillTokens"/>), everything for a low-priority one
    /// (<see cref="QueuedPrefillTokens"/>: it waits behind every request, its peers in arrival order).
    /// </summary>
    public long QueuedPrefillTokensAhead(RequestPriority priority) =>
        priority == RequestPriority.Low ? QueuedPrefillTokens : QueuedNormalPriorityPrefillTokens;

    // The heartbeat's queue less what finished since it was stamped, or the routers' in-flight tokens if larger.
    private static long Queued(long heartbeat, long finishedSinceHeartbeat, long routersInFlight) =>
        Math.Max(Math.Max(0, heartbeat - finishedSinceHeartbeat), routersInFlight);

    /// <summary>Prefill calls in flight on the worker from every router, as far as this router knows (own + other routers' reports).</summary>
    public int RoutersPrefills => InFlight.Prefills + OtherRouters.Prefills;

    /// <summary>Sequences running on the worker.</summary>
    public int Running => Math.Max(Worker.Load.Running, InFlight.Decodes + OtherRouters.Decodes);

    /// <summary>KV blocks still free; <see cref="int.MaxValue"/> when the worker reports no capacity (0 blocks total).</summary>
    public int FreeKvBlocks => Worker.Info.TotalKvBlocks <= 0
        ? int.MaxValue
        : Math.Max(0, Math.Min(Worker.Load.FreeKvBlocks, Worker.Info.TotalKvBlocks - InFlight.ReservedBlocks - OtherRouters.ReservedBlocks));

    /// <summary>Free sequence slots in its batch; <see cref="int.MaxValue"/> when it reports no limit (MaxBatch 0).</summary>
    public int FreeBatchSlots => Worker.Info.MaxBatch <= 0 ? int.MaxValue : Math.Max(0, Worker.Info.MaxBatch - Running);

    /// <summary>True for prefill and colocated workers.</summary>
    public bool CanPrefill => Worker.Info.Role is WorkerRole.Prefill or WorkerRole.Colocated;

    /// <summary>True for decode and colocated workers.</summary>
    public bool CanDecode => Worker.Info.Role is WorkerRole.Decode or WorkerRole.Colocated;
}
