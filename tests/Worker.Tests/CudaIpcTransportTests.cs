using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Cluster.KvTransfer;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>
/// KvTransfer:CudaIpc on CPU workers: with <c>auto</c> the push falls back (reason no_cuda, counted) to the shared-memory
/// ring or gRPC bytes, with <c>off</c> it is never considered; decode output equals single-engine generation whichever
/// transport ran, and the push duration is tagged with that transport.
/// </summary>
public sealed class CudaIpcTransportTests
{
    [Theory]
    [InlineData("auto", false, "grpc", "no_cuda")]
    [InlineData("auto", true, "shared_memory", "no_cuda")]
    [InlineData("off", false, "grpc", null)]
    public async Task Disaggregated_CudaIpcSetting_DecodeEqualsSingleEngine_TransportAndFallbackReported(
        string mode, bool sharedMemory, string transport, string? fallback)
    {
        if (sharedMemory && !KvTransfer.SharedMemory.SharedMemoryChunkRing.Available) transport = "grpc";
        using var model = new TinyModel();
        var state = new SharedClusterState();
        string[] settings = [$"--KvTransfer:CudaIpc={mode}", $"--KvTransfer:SharedMemory={sharedMemory}"];
        await using var prefill = await WorkerHost.StartAsync(WorkerPair.PrefillRole, model, state, null, settings);
        await using var decode = await WorkerHost.StartAsync(WorkerPair.DecodeRole, model, state, null, settings);
        using var measured = new HostMeasurements(prefill.Get<IMeterFactory>());
        var prompt = TinyModel.Prompt(37, seed: 5);
        var expected = model.Greedy(prompt, 10);

        var (ticket, first) = await Calls.PrefillToAsync(prefill, decode, "ipc-1", prompt);
        var messages = await Calls.ReadAllAsync(decode, Calls.Decode("ipc-1", prompt, [(int)first.FirstTokenId], 10, ticket));

        Assert.Equal(expected[0], (int)first.FirstTokenId);
        Assert.Equal(expected.Skip(1), Calls.Tokens(messages));
        Assert.Equal([$"transport={transport}"], measured.Tags(KvTransferInstruments.Duration, "transport"));
        Assert.Equal(fallback is null ? [] : [$"reason={fallback}"], measured.Tags(KvTransferInstruments.CudaIpcFallbacks, "reason"));
    }

    [Fact]
    public async Task PushService_ReceiveLimit_FollowsMaxChunkBytesAboveTheHostDefault()
    {
        using var model = new TinyModel();
        await using var large = await WorkerHost.StartAsync(WorkerPair.DecodeRole, model, new SharedClusterState(), null, "--KvTransfer:MaxChunkBytes=8388608");
        await using var small = await WorkerHost.StartAsync(WorkerPair.PrefillRole, model, new SharedClusterState());

        Assert.Equal(9 << 20, Limit(large));
        Assert.Equal(Hosting.ClusterHostExtensions.DefaultMaxMessageSize, Limit(small));
    }

    private static int? Limit(WorkerHost host) =>
        host.Get<Microsoft.Extensions.Options.IOptions<global::Grpc.AspNetCore.Server.GrpcServiceOptions<KvTransfer.Server.KvTransferGrpcService>>>().Value.MaxReceiveMessageSize;

    // Measurements of one host's meters (its IMeterFactory is the meters' scope), so parallel tests do not mix in.
    private sealed class HostMeasurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Name, KeyValuePair<string, object?>[] Tags)> _seen = new();

        public HostMeasurements(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, scope) && instrument.Meter.Name == KvTransferInstruments.MeterName) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<double>((i, _, tags, _) => _seen.Enqueue((i.Name, tags.ToArray())));
            _listener.SetMeasurementEventCallback<long>((i, _, tags, _) => _seen.Enqueue((i.Name, tags.ToArray())));
            _listener.Start();
        }

        public string[] Tags(string instrument, string key) =>
            [.. _seen.Where(m => m.Name == instrument).Select(m => $"{key}={m.Tags.FirstOrDefault(t => t.Key == key).Value}")];

        public void Dispose() => _listener.Dispose();
    }
}
