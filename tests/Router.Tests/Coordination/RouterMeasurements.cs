using System.Diagnostics.Metrics;
using Cluster.Router.Coordination;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Router.Tests.Coordination;

/// <summary>Records the long measurements of one harness's <c>Cluster.Router</c> meter (other tests run in parallel).</summary>
internal sealed class RouterMeasurements : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Name, double Value, string Tags)> _measured = [];

    public RouterMeasurements(CoordinatorHarness harness)
    {
        var meterFactory = harness.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CoordinatorInstruments.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (_measured) { _measured.Add((instrument.Name, value, string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")))); }
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            lock (_measured) { _measured.Add((instrument.Name, value, string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")))); }
        });
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            lock (_measured) { _measured.Add((instrument.Name, value, string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")))); }
        });
        _listener.Start();
        _ = harness.Coordinator; // instruments are created with the coordinator
    }

    /// <summary>The tag strings (<c>key=value,…</c>) measured on <paramref name="name"/>, in order.</summary>
    public string[] Tags(string name)
    {
        lock (_measured) { return _measured.Where(m => m.Name == name).Select(m => m.Tags).ToArray(); }
    }

    /// <summary>The sum of the values measured on <paramref name="name"/>.</summary>
    public long Sum(string name)
    {
        lock (_measured) { return (long)_measured.Where(m => m.Name == name).Sum(m => m.Value); }
    }

    /// <summary>The values measured on <paramref name="name"/> with tags containing <paramref name="tagsContain"/>.</summary>
    public double[] Values(string name, string tagsContain = "")
    {
        lock (_measured) { return _measured.Where(m => m.Name == name && m.Tags.Contains(tagsContain, StringComparison.Ordinal)).Select(m => m.Value).ToArray(); }
    }

    /// <summary>Collects observable instruments (gauges) now.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    public void Dispose() => _listener.Dispose();
}
