using System.Diagnostics.Metrics;
using Cluster.Router.Batch;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Router.Tests.Batch;

public sealed class BatchInstrumentsTests
{
    [Fact]
    public void Metrics_RequestsByOutcome_BatchesByStatus()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var instruments = new BatchInstruments(services.GetRequiredService<IMeterFactory>());
        var seen = new List<(string Name, long Value, string Tag)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Name.StartsWith("cluster.router.batch", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => seen.Add((i.Name, v, tags.Length > 0 ? $"{tags[0].Key}={tags[0].Value}" : "")));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => seen.Add((i.Name, v, tags.Length > 0 ? $"{tags[0].Key}={tags[0].Value}" : "")));
        listener.Start();

        instruments.Finished(ok: true);
        instruments.Finished(ok: false);
        BatchJob Job(string status) => new() { Id = BatchIds.NewBatch(), Endpoint = "/v1/completions", InputFileId = BatchIds.NewFile(), Status = status };
        instruments.Statuses([Job(BatchStatus.Completed), Job(BatchStatus.Completed), Job(BatchStatus.InProgress)]);
        listener.RecordObservableInstruments();

        Assert.Contains((BatchInstruments.Requests, 1L, "outcome=completed"), seen);
        Assert.Contains((BatchInstruments.Requests, 1L, "outcome=failed"), seen);
        Assert.Contains((BatchInstruments.Batches, 2L, "status=completed"), seen);
        Assert.Contains((BatchInstruments.Batches, 1L, "status=in_progress"), seen);
        Assert.Contains((BatchInstruments.Batches, 0L, "status=failed"), seen);
    }
}
