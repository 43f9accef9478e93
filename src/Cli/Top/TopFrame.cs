namespace Cluster.Cli.Top;

/// <summary>A latency quantile pair in seconds (null: no observations).</summary>
public sealed record LatencyView(double? P50, double? P99);

/// <summary>The router's line of a frame.</summary>
public sealed record RouterView(
    Uri Host,
    string? Error,
    IReadOnlyDictionary<string, double> RequestsByOutcome,
    double? RequestsPerSecond,
    double Active,
    double GoodputMet,
    double GoodputMissed,
    LatencyView Ttft,
    LatencyView Tpot,
    string LatencyWindow,
    IReadOnlyDictionary<string, double> WorkersByRoleAndState);

/// <summary>One worker's row of a frame.</summary>
public sealed record WorkerView(
    Uri Host,
    string Role,
    string? Error,
    double Running,
    double Waiting,
    double KvUsage,
    double BlocksUsed,
    double BlocksFree,
    double BlocksCached,
    double? TokensPerSecond,
    double PrefillRate,
    double? KvSentBytesPerSecond,
    double? KvReceivedBytesPerSecond);

/// <summary>
/// What <c>cluster top</c> shows at one moment, from two scrapes of every host: rates and latency quantiles over the
/// time between them (the window), or since the router started when no request finished in the window.
/// </summary>
public sealed record TopFrame(DateTimeOffset At, TimeSpan? Window, RouterView Router, IReadOnlyList<WorkerView> Workers)
{
    public const string Ttft = "gen_ai_server_time_to_first_token_seconds";
    public const string Tpot = "gen_ai_server_time_per_output_token_seconds";

    /// <summary>The frame of <paramref name="router"/> and <paramref name="workers"/>, with rates against <paramref name="previous"/> (the last frame's scrapes).</summary>
    public static TopFrame From(TopScrape router, IReadOnlyList<TopScrape> workers, IReadOnlyList<TopScrape>? previous)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(workers);
        var before = previous?.Where(s => s.Page is not null).ToDictionary(s => s.Host, s => s);
        var window = before?.GetValueOrDefault(router.Host) is { } r ? router.At - r.At : (TimeSpan?)null;
        return new TopFrame(
            router.At,
            window,
            RouterFrom(router, before?.GetValueOrDefault(router.Host)),
            [.. workers.Select(w => WorkerFrom(w, before?.GetValueOrDefault(w.Host)))]);
    }

    private static RouterView RouterFrom(TopScrape now, TopScrape? before)
    {
        if (now.Page is not { } page)
        {
            return new RouterView(now.Host, now.Error, new Dictionary<string, double>(), null, 0, 0, 0, new(null, null), new(null, null), "", new Dictionary<string, double>());
        }

        const string requests = "cluster_router_requests_total";
        var workers = page.Samples.Where(s => s.Name == "cluster_router_workers")
            .GroupBy(s => $"{s.Labels.GetValueOrDefault("role", "?")} {s.Labels.GetValueOrDefault("state", "?")}", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(s => s.Value), StringComparer.Ordinal);
        var finishedInWindow = before?.Page is { } old ? page.Sum(requests) - old.Sum(requests) : 0;
        var windowed = finishedInWindow > 0 && before?.Page is not null;
        return new RouterView(
            now.Host,
            null,
            page.SumBy(requests, "outcome"),
            Rate(page, before, now, requests),
            page.Sum("cluster_router_requests_active"),
            page.Sum("cluster_router_goodput_requests_total", l => l.GetValueOrDefault("slo") == "met"),
            page.Sum("cluster_router_goodput_requests_total", l => l.GetValueOrDefault("slo") == "missed"),
            Latency(page, windowed ? before!.Page : null, Ttft),
            Latency(page, windowed ? before!.Page : null, Tpot),
            windowed ? $"last {(now.At - before!.At).TotalSeconds:F1} s" : "since start",
            workers);
    }

    private static WorkerView WorkerFrom(TopScrape now, TopScrape? before)
    {
        if (now.Page is not { } page)
        {
            return new WorkerView(now.Host, "?", now.Error, 0, 0, 0, 0, 0, 0, null, 0, null, null);
        }

        var role = page.Label("cluster_engine_sequences", "role")
            ?? page.Label("target_info", "service_name")?.Replace("cluster-", "", StringComparison.Ordinal)
            ?? "?";
        return new WorkerView(
            now.Host,
            role,
            null,
            page.Sum("cluster_engine_sequences", l => l.GetValueOrDefault("state") == "running"),
            page.Sum("cluster_engine_sequences", l => l.GetValueOrDefault("state") == "waiting"),
            page.Sum("cluster_engine_kv_usage"),
            page.Sum("cluster_engine_kv_blocks", l => l.GetValueOrDefault("state") == "used"),
            page.Sum("cluster_engine_kv_blocks", l => l.GetValueOrDefault("state") == "free"),
            page.Sum("cluster_engine_kv_blocks", l => l.GetValueOrDefault("state") == "cached"),
            Rate(page, before, now, "cluster_engine_step_tokens_sum"),
            page.Sum("cluster_worker_prefill_rate_per_second"),
            Rate(page, before, now, "cluster_kv_transfer_sent_bytes_total"),
            Rate(page, before, now, "cluster_kv_transfer_received_bytes_total"));
    }

    // Per-second increase of a counter between two scrapes of one host (null on the first frame).
    private static double? Rate(MetricsPage page, TopScrape? before, TopScrape now, string name)
    {
        if (before?.Page is not { } old || now.At <= before.At)
        {
            return null;
        }

        return Math.Max(0, page.Sum(name) - old.Sum(name)) / (now.At - before.At).TotalSeconds;
    }

    private static LatencyView Latency(MetricsPage page, MetricsPage? before, string histogram)
    {
        var buckets = Histograms.Delta(page.Buckets(histogram), before?.Buckets(histogram));
        return new LatencyView(Histograms.Quantile(0.5, buckets), Histograms.Quantile(0.99, buckets));
    }
}
