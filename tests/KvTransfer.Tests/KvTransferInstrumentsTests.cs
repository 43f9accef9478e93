using System.Diagnostics.Metrics;
using Cluster.Core.Ids;
using Cluster.KvTransfer.Client;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.KvTransfer.Tests;

/// <summary>The failure-side instruments of the transfer (ARCHITECTURE §9): rejected frames (receiver) and resumes (sender).</summary>
public sealed class KvTransferInstrumentsTests
{
    [Fact]
    public async Task Push_CorruptChecksums_EveryAttemptRejectedAsChecksum_ResumedThenFailsWithDataLoss()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var measured = new Measurements(meters);
        var sender = new KvTransferInstruments(meters);
        await using var f = await TransferFixture.StartAsync(instruments: table => new KvTransferInstruments(meters, table));
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 40);

        var client = new KvPushClient(f.Client, maxResumeAttempts: 2) { CorruptChecksums = true, Resumed = sender.Resumed };
        var e = await Assert.ThrowsAsync<RpcException>(() => client.PushAsync(TransferFixture.PushOf(ticket, 40, blocks, kv)));

        Assert.Equal(StatusCode.DataLoss, e.StatusCode);
        Assert.Equal(0, f.Store.Writes);
        Assert.Equal(["reason=checksum", "reason=checksum", "reason=checksum"], measured.Tags(KvTransferInstruments.FramesRejected));
        Assert.Equal(2, measured.Tags(KvTransferInstruments.Resumes).Length);
    }

    [Fact]
    public async Task Push_Healthy_CountsNoRejectionResumeOrFailure()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var measured = new Measurements(meters);
        var sender = new KvTransferInstruments(meters);
        await using var f = await TransferFixture.StartAsync(instruments: table => new KvTransferInstruments(meters, table));
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 40);

        var result = await new KvPushClient(f.Client, maxResumeAttempts: 2) { Resumed = sender.Resumed }.PushAsync(TransferFixture.PushOf(ticket, 40, blocks, kv));

        Assert.True(result.Complete);
        Assert.Empty(measured.Tags(KvTransferInstruments.FramesRejected));
        Assert.Empty(measured.Tags(KvTransferInstruments.Resumes));
    }

    /// <summary>The long measurements of one meter factory's <c>Cluster.KvTransfer</c> instruments (tests run in parallel).</summary>
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Name, string Tags)> _measured = [];

        public Measurements(IMeterFactory meters)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == KvTransferInstruments.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
            {
                lock (_measured) { _measured.Add((instrument.Name, string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")))); }
            });
            _listener.Start();
        }

        public string[] Tags(string name)
        {
            lock (_measured) { return [.. _measured.Where(m => m.Name == name).Select(m => m.Tags)]; }
        }

        public void Dispose() => _listener.Dispose();
    }
}
