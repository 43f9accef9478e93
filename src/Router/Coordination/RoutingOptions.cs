using Cluster.Router.Routing;

namespace Cluster.Router.Coordination;

/// <summary>Configuration section <c>Routing</c>: policies, conditional disaggregation, admission, retries (ARCHITECTURE §6, §7).</summary>
public sealed class RoutingOptions
{
    public const string SectionName = "Routing";
    public const int DefaultBlockSize = 16;
    public const int DefaultMaxQueuedRequests = 256;
    public const int DefaultMaxPrefillAttempts = 3;
    public const int DefaultMaxDecodeAttempts = 3;
    public const int DefaultMaxMigrations = 3;
    public static readonly TimeSpan DefaultQueueTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan DefaultWorkerChannelGrace = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultNoWorkerWait = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan DefaultControlCallTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultPrefillTimeout = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan DefaultCancelTimeout = TimeSpan.FromSeconds(2);
    public const double DefaultTransferCostSmoothing = 0.2;

    /// <summary>Prefill pool policy (<see cref="RoutingPolicyNames"/>).</summary>
    public string PrefillPolicy { get; set; } = RoutingPolicyNames.CacheAware;

    /// <summary>Decode pool policy (<see cref="RoutingPolicyNames"/>).</summary>
    public string DecodePolicy { get; set; } = RoutingPolicyNames.CacheAware;

    /// <summary>Tokens per KV block; must equal every worker's <c>KvCache:BlockSize</c> or no prefix ever matches.</summary>
    public int BlockSize { get; set; } = DefaultBlockSize;

    /// <summary>Uncached prompt tokens (on the chosen prefill worker) below which the decode worker prefills locally (no
    /// transfer), whatever <see cref="DisaggregationPolicy"/> says: a floor; 0 = no floor.</summary>
    public int MinDisaggregatedTokens { get; set; }

    /// <summary>
    /// How to decide disaggregation once the floor is met (<see cref="DisaggregationPolicyNames"/>): <c>measured-cost</c>
    /// (default) disaggregates when the learned exposed transfer time into the chosen decode worker D is below D's own
    /// prefill time, <c>exposed s/token(D) × uncached(D) &lt; uncached(D) / prefill tokens/s(D)</c>, and always before D has
    /// a measurement (<see cref="MeasuredCostDisaggregationPolicy"/>); <c>threshold</c> always disaggregates.
    /// </summary>
    public string DisaggregationPolicy { get; set; } = DisaggregationPolicyNames.MeasuredCost;

    /// <summary>Weight (0, 1] of the newest transfer measurement in the <c>measured-cost</c> EWMA of exposed seconds per token.</summary>
    public double TransferCostSmoothing { get; set; } = DefaultTransferCostSmoothing;

    /// <summary>Requests that may wait for decode headroom at once; past it: RESOURCE_EXHAUSTED. 0 = never wait.</summary>
    public int MaxQueuedRequests { get; set; } = DefaultMaxQueuedRequests;

    /// <summary>Longest wait in the admission queue before RESOURCE_EXHAUSTED.</summary>
    public TimeSpan QueueTimeout { get; set; } = DefaultQueueTimeout;

    /// <summary>Prefill workers tried per request before UNAVAILABLE.</summary>
    public int MaxPrefillAttempts { get; set; } = DefaultMaxPrefillAttempts;

    /// <summary>Decode workers tried (reserve or local decode failing before a token) per request before UNAVAILABLE.</summary>
    public int MaxDecodeAttempts { get; set; } = DefaultMaxDecodeAttempts;

    /// <summary>Decode streams that may die mid-generation per request and be continued elsewhere.</summary>
    public int MaxMigrations { get; set; } = DefaultMaxMigrations;

    /// <summary>How often the live-worker snapshot is re-read from the registry.</summary>
    public TimeSpan RefreshInterval { get; set; } = DefaultRefreshInterval;

    /// <summary>
    /// How long the channel of a worker endpoint that left the live list stays open before it is disposed (which cancels
    /// its in-flight calls): a worker back in the list within it keeps its channel and its streams. Longer than
    /// <c>ClusterState:HeartbeatTtl</c> (10 s), so a registry blip (Redis restarted empty, a missed heartbeat, a partial
    /// list) never cuts a healthy worker's streams, and than <c>Worker:DrainTimeout</c> (30 s), so a worker that deregistered
    /// to drain finishes its streams; a worker that really died fails its calls by itself. 0 = dispose at the first refresh
    /// that misses it.
    /// </summary>
    public TimeSpan WorkerChannelGrace { get; set; } = DefaultWorkerChannelGrace;

    /// <summary>
    /// How long a request waits for a decode worker of its model to (re)appear in the registry before failing: covers
    /// worker restarts and a registry that restarted empty until the workers' next heartbeat re-registers them. 0 = fail at once.
    /// </summary>
    public TimeSpan NoWorkerWait { get; set; } = DefaultNoWorkerWait;

    /// <summary>Deadline of Reserve and Status calls.</summary>
    public TimeSpan ControlCallTimeout { get; set; } = DefaultControlCallTimeout;

    /// <summary>Deadline of a Prefill call (prompt compute + KV transfer).</summary>
    public TimeSpan PrefillTimeout { get; set; } = DefaultPrefillTimeout;

    /// <summary>Deadline of a Cancel call (sent fire-and-forget when a request ends early).</summary>
    public TimeSpan CancelTimeout { get; set; } = DefaultCancelTimeout;

    /// <summary>Prefill rate assumed for a worker that has not measured one (tokens/s), in the cache-aware cost and in the
    /// <c>measured-cost</c> disaggregation decision.</summary>
    public double DefaultPrefillTokensPerSecond { get; set; } = CacheAwarePrefillPolicy.DefaultPrefillTokensPerSecond;
}
