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
    public static readonly TimeSpan DefaultNoWorkerWait = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan DefaultControlCallTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultPrefillTimeout = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan DefaultCancelTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Prefill pool policy (<see cref="RoutingPolicyNames"/>).</summary>
    public string PrefillPolicy { get; set; } = RoutingPolicyNames.CacheAware;

    /// <summary>Decode pool policy (<see cref="RoutingPolicyNames"/>).</summary>
    public string DecodePolicy { get; set; } = RoutingPolicyNames.CacheAware;

    /// <summary>Tokens per KV block; must equal every worker's <c>KvCache:BlockSize</c> or no prefix ever matches.</summary>
    public int BlockSize { get; set; } = DefaultBlockSize;

    /// <summary>Uncached prompt tokens below which the decode worker prefills locally (no transfer); 0 = always
    /// disaggregate while a prefill worker is live.</summary>
    public int MinDisaggregatedTokens { get; set; }

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

    /// <summary>Prefill rate assumed for a worker that has not measured one (tokens/s), in the cache-aware cost.</summary>
    public double DefaultPrefillTokensPerSecond { get; set; } = CacheAwarePrefillPolicy.DefaultPrefillTokensPerSecond;
}
