using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Cluster.ClusterState.Events;
using Cluster.ClusterState.Health;
using Cluster.ClusterState.Model;
using Cluster.ClusterState.Redis;
using Cluster.ClusterState.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Cluster.ClusterState.Tests.Support.TestData;

namespace Cluster.ClusterState.Tests.Redis;

/// <summary>No Redis listening at all from start-up: the process starts, everything degrades, and the metrics say so.</summary>
public sealed class RedisUnreachableTests
{
    [Fact]
    public async Task NothingListening_StartsDegraded_CallsReturnValuesAndMetricsCount()
    {
        var meterFactory = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var instruments = new ClusterStateInstruments(meterFactory);
        var measured = new List<(string Name, long Value, string Tag)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ClusterStateInstruments.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                l.EnableMeasurementEvents(instrument); // only this test's meter: other tests run in parallel
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (measured) { measured.Add((instrument.Name, value, tags.Length > 0 ? $"{tags[0].Key}={tags[0].Value}" : "")); }
        });
        listener.Start();

        var health = new ClusterStateHealth(TimeProvider.System, embedded: false);
        var options = Options.Create(new ClusterStateOptions { RedisConnectionString = $"127.0.0.1:{ClosedPort()},connectTimeout=500" });
        using var connection = new RedisConnection(options, health, instruments, NullLogger<RedisConnection>.Instance);
        var index = new RedisPrefixIndex(connection, instruments, NullLogger<RedisPrefixIndex>.Instance);
        var registry = new RedisWorkerRegistry(connection, TimeProvider.System, options, instruments, NullLogger<RedisWorkerRegistry>.Instance);

        Assert.Equal(ClusterStateStatus.Unavailable, health.Status);
        Assert.Same(PrefixOverlap.Unavailable, await index.FindOverlapAsync(ModelA, Blocks(1, 3)));
        Assert.Equal(IndexWriteOutcome.ResyncRequired, await index.ApplyAsync(Stored(W(1), 1, Blocks(1, 3))));
        Assert.Equal(RegistryOutcome.Unavailable, await registry.RegisterAsync(Info(1), Load(1)));
        Assert.Empty(await registry.ListAsync());

        listener.RecordObservableInstruments();
        lock (measured)
        {
            Assert.Contains((ClusterStateInstruments.LookupsName, 1L, "outcome=unavailable"), measured);
            Assert.Contains((ClusterStateInstruments.ResyncsName, 1L, "reason=unavailable"), measured);
            Assert.Contains((ClusterStateInstruments.RedisErrorsName, 1L, "operation=index.find_overlap"), measured);
            Assert.Contains((ClusterStateInstruments.RedisErrorsName, 1L, "operation=registry.register"), measured);
            Assert.Equal(4, measured.Count(m => m.Name == ClusterStateInstruments.RedisErrorsName));
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
