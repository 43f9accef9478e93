using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Cluster.Cli.Bench;

/// <summary>
/// Where each request's time to first token went, from the in-process cluster's own spans (router: router.request,
/// reserve, prefill with its worker; prefill worker: kv_transfer.push): the wait before Reserve (prefix lookup,
/// policies, decode admission queue), Reserve on the decode worker, and the Prefill call (the prefill worker's queue,
/// compute and the KV push, which the push span covers from submission to the decode worker's acknowledgement).
/// Listens only while a policy's measured requests run.
/// </summary>
internal sealed class ClusterTtftBenchTrace : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public ClusterTtftBenchTrace()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Cluster.Router" or "Cluster.KvTransfer",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _stopped.Enqueue(a),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>One request's breakdown in milliseconds (NaN where a span is missing).</summary>
    public sealed record Breakdown(string PrefillWorker, double BeforeReserve, double Reserve, double Prefill, double Push, double Total)
    {
        /// <summary>Prompt tokens the prefill worker / the decode worker found cached; KV bytes pushed.</summary>
        public long PrefillCached { get; init; }

        public long DecodeCached { get; init; }

        public long PushedBytes { get; init; }

        /// <summary>From the Prefill call's arrival to its first token on P (queue + compute), and the push after it (ms).</summary>
        public double FirstToken { get; init; } = double.NaN;

        public double PushExposed { get; init; } = double.NaN;
    }

    /// <summary>The requests seen so far, one per router.request span, in start order.</summary>
    public IReadOnlyList<Breakdown> Requests()
    {
        var byTrace = _stopped.ToArray().GroupBy(a => a.TraceId);
        var list = new List<(DateTime Start, Breakdown B)>();
        foreach (var trace in byTrace)
        {
            var request = trace.FirstOrDefault(a => a.OperationName == "router.request");
            if (request is null) continue;
            var reserve = trace.FirstOrDefault(a => a.OperationName == "reserve");
            var prefill = trace.FirstOrDefault(a => a.OperationName == "prefill");
            var push = trace.FirstOrDefault(a => a.OperationName == "kv_transfer.push");
            var before = reserve is null ? double.NaN : (reserve.StartTimeUtc - request.StartTimeUtc).TotalMilliseconds;
            list.Add((request.StartTimeUtc, new Breakdown(
                prefill?.GetTagItem("cluster.worker") as string ?? "local", before,
                reserve?.Duration.TotalMilliseconds ?? double.NaN, prefill?.Duration.TotalMilliseconds ?? double.NaN,
                push?.Duration.TotalMilliseconds ?? double.NaN, request.Duration.TotalMilliseconds)
            {
                PrefillCached = Tag(prefill, "cluster.prefill.cached_tokens"),
                DecodeCached = Tag(prefill, "cluster.decode.cached_tokens"),
                PushedBytes = Tag(prefill, "cluster.kv.bytes"),
                FirstToken = prefill?.GetTagItem("cluster.kv.total_us") is long total && prefill.GetTagItem("cluster.kv.exposed_us") is long exposed ? (total - exposed) / 1e3 : double.NaN,
                PushExposed = prefill?.GetTagItem("cluster.kv.exposed_us") is long e ? e / 1e3 : double.NaN,
            }));
        }

        return [.. list.OrderBy(l => l.Start).Select(l => l.B)];
    }

    /// <summary>
    /// Compact lines: requests per prefill worker, then per worker p50 / p90 / max of each phase, then the requests in
    /// arrival order as "worker:prefill ms" runs (shows bursts onto one worker and where the queue built up).
    /// </summary>
    public static string Describe(IReadOnlyList<Breakdown> requests)
    {
        var b = new StringBuilder();
        if (requests.Count == 0) return "  (no spans recorded)\n";
        b.Append("  requests per prefill worker: ").AppendJoin(", ", requests.GroupBy(r => r.PrefillWorker).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")).AppendLine();
        b.AppendLine("  ms p50/p90/max by prefill worker: before-reserve (lookup, policies, admission) | reserve | prefill call | on P: to first token (queue+compute) | push after it;");
        b.AppendLine("    then mean tokens cached on P / on D, mean MB pushed");
        foreach (var g in requests.GroupBy(r => r.PrefillWorker).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            b.Append(CultureInfo.InvariantCulture, $"    {g.Key}: ")
                .Append(Stats(g.Select(r => r.BeforeReserve))).Append(" | ").Append(Stats(g.Select(r => r.Reserve))).Append(" | ")
                .Append(Stats(g.Select(r => r.Prefill))).Append(" | ").Append(Stats(g.Select(r => r.FirstToken))).Append(" | ")
                .Append(Stats(g.Select(r => r.PushExposed)))
                .Append(CultureInfo.InvariantCulture, $"; {g.Average(r => r.PrefillCached):F0} / {g.Average(r => r.DecodeCached):F0}, {g.Average(r => r.PushedBytes) / 1e6:F1} MB").AppendLine();
        }

        b.Append("  in arrival order (worker suffix: prefill call ms): ");
        b.AppendJoin(" ", requests.Select(r => string.Create(CultureInfo.InvariantCulture, $"{Suffix(r.PrefillWorker)}:{r.Prefill:F0}")));
        b.AppendLine();
        return b.ToString();
    }

    private static long Tag(Activity? span, string name) => span?.GetTagItem(name) switch
    {
        int i => i,
        long l => l,
        _ => 0,
    };

    private static string Suffix(string worker) => worker.Length > 0 && char.IsDigit(worker[^1]) ? worker[^1..] : worker;

    private static string Stats(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return "-";
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"{At(0.5):F0}/{At(0.9):F0}/{sorted[^1]:F0}");
    }

    public void Dispose() => _listener.Dispose();
}
