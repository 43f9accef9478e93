using System.Globalization;

namespace Cluster.Cli.Top;

/// <summary>The samples of one <c>/metrics</c> page, with the sums and histograms <c>cluster top</c> reads.</summary>
public sealed class MetricsPage(IReadOnlyList<MetricSample> samples)
{
    public IReadOnlyList<MetricSample> Samples => samples;

    public static MetricsPage Parse(string page) => new(PrometheusText.Parse(page));

    /// <summary>The sum of every series of <paramref name="name"/> whose labels pass <paramref name="filter"/> (0 when none).</summary>
    public double Sum(string name, Func<IReadOnlyDictionary<string, string>, bool>? filter = null) =>
        samples.Where(s => s.Name == name && (filter is null || filter(s.Labels))).Sum(s => s.Value);

    /// <summary>Sums of <paramref name="name"/> by the value of <paramref name="label"/> (series without it under "").</summary>
    public IReadOnlyDictionary<string, double> SumBy(string name, string label) => samples
        .Where(s => s.Name == name)
        .GroupBy(s => s.Labels.TryGetValue(label, out var v) ? v : "", StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Sum(s => s.Value), StringComparer.Ordinal);

    /// <summary>Whether the page has any series of <paramref name="name"/>.</summary>
    public bool Has(string name) => samples.Any(s => s.Name == name);

    /// <summary>The value of <paramref name="label"/> on the first series of <paramref name="name"/> that has it.</summary>
    public string? Label(string name, string label) =>
        samples.Where(s => s.Name == name).Select(s => s.Labels.TryGetValue(label, out var v) ? v : null).FirstOrDefault(v => v is not null);

    /// <summary>
    /// The cumulative buckets of histogram <paramref name="name"/> (its <c>_bucket</c> series, summed over every other
    /// label, as <c>sum by (le)</c>): upper bound → observations at or below it, in ascending order.
    /// </summary>
    public SortedDictionary<double, double> Buckets(string name)
    {
        var buckets = new SortedDictionary<double, double>();
        foreach (var s in samples.Where(s => s.Name == name + "_bucket" && s.Labels.ContainsKey("le")))
        {
            var le = s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], NumberStyles.Float, CultureInfo.InvariantCulture);
            buckets[le] = buckets.GetValueOrDefault(le) + s.Value;
        }

        return buckets;
    }
}
