using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace Cluster.Hosting.Telemetry;

/// <summary>
/// The one metric view of a host: drops instruments whose meter another host's <see cref="IMeterFactory"/> created
/// (<c>cluster up</c> and tests run several hosts in one process, and a MeterProvider listens to every meter of the
/// process with a matching name), and gives every histogram explicit buckets by unit (<see cref="HistogramBuckets"/>).
/// Meters not made by a factory (runtime, static ones) are kept: they describe the process.
/// </summary>
internal sealed class HostMeterView(IMeterFactory hostFactory)
{
    public MetricStreamConfiguration? Select(Instrument instrument)
    {
        if (instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, hostFactory))
        {
            return MetricStreamConfiguration.Drop;
        }

        var isHistogram = instrument.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == typeof(Histogram<>);
        if (isHistogram && HistogramBuckets.ForUnit(instrument.Unit) is { } buckets)
        {
            return new ExplicitBucketHistogramConfiguration { Boundaries = buckets };
        }

        // Prometheus reserves a "_count" suffix for histograms and summaries (promtool check metrics flags the runtime's
        // dotnet.assembly.count, dotnet.timer.count, ...): those gauges are exported as "<name>.instances" instead.
        return !isHistogram && instrument.Name.EndsWith(".count", StringComparison.Ordinal)
            ? new MetricStreamConfiguration { Name = instrument.Name[..^".count".Length] + ".instances" }
            : null;
    }
}
