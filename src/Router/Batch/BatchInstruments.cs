using System.Diagnostics.Metrics;
using Cluster.Router.Coordination;

namespace Cluster.Router.Batch;

/// <summary>
/// Batch metrics on the router's meter (Prometheus through the hosts' OpenTelemetry pipeline):
/// <c>cluster.router.batches</c> (gauge by status, this router's view of the store),
/// <c>cluster.router.batch.requests</c> (counter by outcome: completed, failed, executed by this process),
/// <c>cluster.router.batch.requests.in_flight</c>.
/// </summary>
public sealed class BatchInstruments
{
    public const string Batches = "cluster.router.batches";
    public const string Requests = "cluster.router.batch.requests";
    public const string InFlightName = "cluster.router.batch.requests.in_flight";

    private readonly Counter<long> _requests;
    private readonly UpDownCounter<long> _inFlight;
    private volatile IReadOnlyDictionary<string, int> _byStatus = new Dictionary<string, int>();

    public BatchInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(CoordinatorInstruments.MeterName);
        _requests = meter.CreateCounter<long>(Requests, "{request}", "Batch requests finished by this router, by outcome (completed, failed)");
        _inFlight = meter.CreateUpDownCounter<long>(InFlightName, "{request}", "Batch requests running now");
        meter.CreateObservableGauge(Batches, () => BatchStatus.All.Select(s =>
            new Measurement<int>(_byStatus.GetValueOrDefault(s), new KeyValuePair<string, object?>("status", s))), "{batch}", "Batches by status");
    }

    internal void Finished(bool ok) => _requests.Add(1, new KeyValuePair<string, object?>("outcome", ok ? "completed" : "failed"));

    internal void Started() => _inFlight.Add(1);

    internal void Ended() => _inFlight.Add(-1);

    internal void Statuses(IEnumerable<BatchJob> jobs) => _byStatus = jobs.GroupBy(j => j.Status).ToDictionary(g => g.Key, g => g.Count());
}
