namespace Cluster.Cli.Top;

/// <summary>Quantiles of cumulative histogram buckets, as Prometheus' <c>histogram_quantile</c> estimates them.</summary>
public static class Histograms
{
    /// <summary>
    /// The <paramref name="q"/>-quantile (0–1) of cumulative <paramref name="buckets"/> (upper bound → count), by linear
    /// interpolation inside the bucket holding the rank; the highest finite bound when it falls in +Inf; null without
    /// observations.
    /// </summary>
    public static double? Quantile(double q, SortedDictionary<double, double> buckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        if (buckets.Count == 0 || !buckets.TryGetValue(double.PositiveInfinity, out var total) || total <= 0)
        {
            return null;
        }

        var rank = q * total;
        var lower = 0.0;
        var below = 0.0;
        foreach (var (bound, count) in buckets)
        {
            if (count >= rank)
            {
                if (double.IsPositiveInfinity(bound))
                {
                    return lower;
                }

                return count == below ? bound : lower + (bound - lower) * (rank - below) / (count - below);
            }

            lower = bound;
            below = count;
        }

        return lower;
    }

    /// <summary>Per-bucket <paramref name="now"/> − <paramref name="before"/>: the observations made in between.</summary>
    public static SortedDictionary<double, double> Delta(SortedDictionary<double, double> now, SortedDictionary<double, double>? before)
    {
        ArgumentNullException.ThrowIfNull(now);
        var delta = new SortedDictionary<double, double>();
        foreach (var (bound, count) in now)
        {
            delta[bound] = Math.Max(0, count - (before?.GetValueOrDefault(bound) ?? 0));
        }

        return delta;
    }
}
