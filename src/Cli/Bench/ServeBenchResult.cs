using System.Globalization;
using System.Text.Json;

namespace Cluster.Cli.Bench;

/// <summary>What one engine did with a workload: per-request TTFT and TPOT, output tokens, wall time, KV use.</summary>
internal sealed record ServeBenchResult(
    string Engine, int OutputTokens, double DurationSeconds, IReadOnlyList<double> TtftMs, IReadOnlyList<double> TpotMs,
    double? KvPeakUtilization = null, long? KvBytes = null, double? PrefixHitRate = null)
{
    public double Throughput => OutputTokens / DurationSeconds;

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    /// <summary>Reads the JSON written by tests/reference/hf_serve.py.</summary>
    public static ServeBenchResult FromHfJson(JsonElement e) => new(
        "transformers", e.GetProperty("output_tokens").GetInt32(), e.GetProperty("duration_s").GetDouble(),
        [.. e.GetProperty("ttft_ms").EnumerateArray().Select(v => v.GetDouble())],
        [.. e.GetProperty("tpot_ms").EnumerateArray().Select(v => v.GetDouble())]);

    public Dictionary<string, object?> Summary() => new()
    {
        ["engine"] = Engine,
        ["output_tokens"] = OutputTokens,
        ["duration_s"] = DurationSeconds,
        ["output_tokens_per_s"] = Throughput,
        ["ttft_ms_p50"] = Percentile(TtftMs, 50),
        ["ttft_ms_p90"] = Percentile(TtftMs, 90),
        ["ttft_ms_p99"] = Percentile(TtftMs, 99),
        ["tpot_ms_p50"] = Percentile(TpotMs, 50),
        ["tpot_ms_p90"] = Percentile(TpotMs, 90),
        ["tpot_ms_p99"] = Percentile(TpotMs, 99),
        ["kv_peak_utilization"] = KvPeakUtilization,
        ["kv_bytes"] = KvBytes,
        ["prefix_hit_rate"] = PrefixHitRate,
    };

    public static string F(double v, string format = "F1") => v.ToString(format, CultureInfo.InvariantCulture);
}
