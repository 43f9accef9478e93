using System.Globalization;
using System.Text;

namespace Cluster.Cli.Bench;

/// <summary>
/// The figures of one <c>bench disagg</c> phase (a table row) and the run's markdown: the table, then per (mode, rate)
/// disaggregated TTFT p50 / colocated TTFT p50 with PASS/FAIL against the goals (≤ 1.5×, ≥ 95 % within SLO, zero 5xx,
/// and on a shared-prefix load KV bytes received per request ≤ its uncached suffix's bytes).
/// </summary>
public sealed record DisaggBenchRow(string Mode, string Config, double Rate, string Workload, int Requests, int Ok, int Http5xx, int Http429, int OtherFailed,
    double TtftP50, double TtftP99, double TpotP50, double TpotP99, double OutTokensPerSecond, double WithinSloPercent, double WallSeconds,
    double KvBytesPerRequest, ulong KvReceivedRequests, ulong KvReusedTokens, ulong PrefillComputedTokens, ulong DecodeComputedTokens, ulong CachedPromptTokens,
    double UncachedBytesPerRequest)
{
    public const double TtftRatioGoal = 1.5;

    /// <summary>Each request's streamed output in arrival order (null for a failed one): greedy, so comparable across configs.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string?> Outputs { get; init; } = [];
    public const double SloGoalPercent = 95;

    public static DisaggBenchRow From(DisaggBenchRunner.Phase p, string workload, double ttftSloMs, double tpotSloMs, double uncachedBytesPerRequest)
    {
        var ok = p.Outcomes.Where(o => o.Ok).ToArray();
        var within = ok.Count(o => o.TtftMs <= ttftSloMs && o.TpotMs <= tpotSloMs);
        var http5xx = p.Outcomes.Count(o => o.Status >= 500);
        var http429 = p.Outcomes.Count(o => o.Status == 429);
        var none = new DisaggBenchRunner.Counters(0, 0, 0, 0, 0);
        DisaggBenchRunner.Counters Role(string role) => p.ByRole.TryGetValue(role, out var c) ? c : none;
        var all = p.ByRole.Values.Aggregate(none, (sum, c) => sum + c);
        return new DisaggBenchRow(p.Mode, p.Config, p.Rate, workload, p.Outcomes.Count, ok.Length, http5xx, http429, p.Outcomes.Count - ok.Length - http5xx - http429,
            BenchPercentiles.NearestRank(ok.Select(o => o.TtftMs), 50), BenchPercentiles.NearestRank(ok.Select(o => o.TtftMs), 99), BenchPercentiles.NearestRank(ok.Select(o => o.TpotMs), 50), BenchPercentiles.NearestRank(ok.Select(o => o.TpotMs), 99),
            p.Outcomes.Sum(o => o.Tokens) / p.Wall.TotalSeconds, 100.0 * within / p.Outcomes.Count, p.Wall.TotalSeconds,
            (double)all.KvReceivedBytes / p.Outcomes.Count, all.KvReceivedRequests, all.KvReusedTokens,
            Role("prefill").ComputedPromptTokens, Role("decode").ComputedPromptTokens, all.CachedPromptTokens, uncachedBytesPerRequest)
        {
            Outputs = [.. p.Outcomes.Select(o => o.Ok ? o.Text : null)],
        };
    }

    public static string Table(IReadOnlyList<DisaggBenchRow> rows)
    {
        var b = new StringBuilder();
        b.AppendLine("| mode | config | rate/s | ok / n | TTFT p50 / p99 ms | TPOT p50 / p99 ms | out tok/s | within SLO % | 5xx | 429 | KV bytes recv / req | KV reqs recv | KV reused tok | prompt tok computed prefill / decode | cached prompt tok |");
        b.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"| {r.Mode} | {r.Config} | {r.Rate:0.##} | {r.Ok} / {r.Requests} | {r.TtftP50:F1} / {r.TtftP99:F1} | {r.TpotP50:F2} / {r.TpotP99:F2} | " +
                $"{r.OutTokensPerSecond:F1} | {r.WithinSloPercent:F1} | {r.Http5xx} | {r.Http429} | {r.KvBytesPerRequest:N0} | {r.KvReceivedRequests} | {r.KvReusedTokens} | " +
                $"{r.PrefillComputedTokens} / {r.DecodeComputedTokens} | {r.CachedPromptTokens} |");
        }

        return b.ToString();
    }

    /// <summary>One line per (mode, rate) with both configs: the TTFT ratio and each goal, PASS or FAIL.</summary>
    public static IEnumerable<(string Line, bool Pass)> Comparisons(IReadOnlyList<DisaggBenchRow> rows)
    {
        foreach (var g in rows.GroupBy(r => (r.Mode, r.Rate)))
        {
            var co = g.FirstOrDefault(r => r.Config == DisaggBenchRunner.Colocated);
            var dis = g.FirstOrDefault(r => r.Config == DisaggBenchRunner.Disaggregated);
            if (co is null || dis is null)
            {
                continue;
            }

            var ratio = dis.TtftP50 / co.TtftP50;
            var goals = new List<(string, bool)>
            {
                (I($"TTFT p50 ratio {ratio:F2} <= {TtftRatioGoal}"), ratio <= TtftRatioGoal),
                (I($"disaggregated within SLO {dis.WithinSloPercent:F1}% >= {SloGoalPercent}%"), dis.WithinSloPercent >= SloGoalPercent),
                ($"5xx {co.Http5xx + dis.Http5xx} == 0", co.Http5xx + dis.Http5xx == 0),
            };
            var kv = "";
            if (dis.Workload == DisaggBenchWorkload.SharedPrefix && dis.KvReceivedRequests == 0)
            {
                kv = "; KV bytes/req n/a (the workers' kv_received_* counters read 0)";
            }
            else if (dis.Workload == DisaggBenchWorkload.SharedPrefix)
            {
                goals.Add((I($"KV bytes/req {dis.KvBytesPerRequest:N0} <= uncached {dis.UncachedBytesPerRequest:N0}"), dis.KvBytesPerRequest <= dis.UncachedBytesPerRequest));
            }

            var same = co.Outputs.Zip(dis.Outputs).Count(x => x.First is not null && x.First == x.Second);
            kv += I($"; identical greedy outputs {same}/{Math.Min(co.Outputs.Count, dis.Outputs.Count)} (bf16 near-ties may differ between batch shapes; fp32 should agree)");
            var pass = goals.All(x => x.Item2);
            yield return (I($"{g.Key.Mode} @ {g.Key.Rate:0.##}/s: disaggregated TTFT p50 {dis.TtftP50:F1} ms / colocated {co.TtftP50:F1} ms = ×{ratio:F2} — ") +
                string.Join("; ", goals.Select(x => $"{x.Item1} {(x.Item2 ? "PASS" : "FAIL")}")) + kv + $" → {(pass ? "PASS" : "FAIL")}", pass);
        }
    }

    private static string I(FormattableString s) => FormattableString.Invariant(s);
}
