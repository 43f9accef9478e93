namespace Cluster.Cli.Bench;

/// <summary>
/// Nearest-rank percentiles of bench samples: the cluster, router and disaggregation benches report the sample at rank
/// ⌈p/100 · n⌉. (<c>bench serve</c> and <c>bench serve --endpoint</c> interpolate between ranks instead, as numpy's
/// default does: <see cref="ServeBenchResult.Percentile"/>.)
/// </summary>
internal static class BenchPercentiles
{
    /// <summary>The smallest sample with at least <paramref name="percent"/> % of the samples at or below it; NaN when there are none.</summary>
    public static double NearestRank(IEnumerable<double> values, double percent)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
