using Cluster.Core.Ids;
using Cluster.Core.Kv;
using Cluster.Engine.Generation;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Tests;
using Cluster.Worker.KvEngine;
using Cluster.KvTransfer.Reservations;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using KvTransferService = Cluster.Contracts.V1.KvTransfer;

namespace Cluster.Worker.Tests.KvEngine;

/// <summary>KV streaming: the push runs while the prefill-role engine still computes later layers and chunks.</summary>
public sealed class StreamingTransferTests : IDisposable
{
    private readonly TinyEngines _tiny = new();

    public void Dispose() => _tiny.Dispose();

    [Theory]
    [InlineData(1, 2048)]
    [InlineData(16, 8)]
    [InlineData(37, 8)]
    [InlineData(37, 2048)]
    public async Task StreamingPush_WhilePrefillRuns_KvBitExactAndDecodeEqualsUninterruptedGeneration(int promptLength, int maxBatchTokens)
    {
        using var prefill = _tiny.New(EngineRoleNames.Prefill, maxBatchTokens);
        using var decode = _tiny.New(EngineRoleNames.Decode);
        using var table = new KvReservationTable(new EngineKvImportTarget(decode.Import), Options.Create(new KvTransferOptions()), TimeProvider.System);
        await using var server = await TransferFixture.StartServerAsync(table);
        using var channel = GrpcChannel.ForAddress(server.Urls.First());
        var id = new RequestId("r1");
        var prompt = TinyEngines.Prompt(promptLength);
        var reservation = table.Reserve(id, promptLength, "tiny", decode.Storage.Layout);
        Assert.True(reservation.Succeeded, reservation.Message);

        // Small chunks so a layer spans several chunk frames; the push starts before the first step.
        using var streaming = StreamingPrefill.Start(prefill, id, prompt, TinyEngines.Greedy(12), reservation.Ticket!, maxChunkBytes: 256);
        var push = new KvPushClient(new KvTransferService.KvTransferClient(channel)).PushAsync(streaming.Push);
        await Task.Run(prefill.RunUntilIdle);
        var firstToken = Assert.Single((await streaming.Handle.Completion).Tokens);
        var result = await push;

        Assert.True(result.Complete);
        Assert.Equal((uint)streaming.PublishedChunks, result.CommittedChunks);
        Assert.NotNull(table.TakeForDecode(reservation.Ticket!));
        Assert.Equal(TinyEngines.ExportAll(prefill.Storage, prefill.Kv.GetBlocks(id)), TinyEngines.ExportAll(decode.Storage, decode.Kv.GetBlocks(id)));
        prefill.ReleaseKv(id);
        var rest = decode.SubmitImported(id, prompt, firstToken, TinyEngines.Greedy(12));
        decode.RunUntilIdle();
        Assert.Equal(new Generator(_tiny.Llama).Generate(prompt, TinyEngines.Greedy(12)).Tokens, (await rest.Completion).Tokens);
        Assert.Equal(0, prefill.Stats.UsedBlocks);
    }

    [Fact]
    public async Task StreamingPush_FirstLayerReachesDecodeWorker_WhileTheStepStillComputesLaterLayers()
    {
        using var prefill = _tiny.New(EngineRoleNames.Prefill);
        using var decode = _tiny.New(EngineRoleNames.Decode);
        var target = new FirstLayerWatch(new EngineKvImportTarget(decode.Import));
        using var table = new KvReservationTable(target, Options.Create(new KvTransferOptions()), TimeProvider.System);
        await using var server = await TransferFixture.StartServerAsync(table);
        using var channel = GrpcChannel.ForAddress(server.Urls.First());
        var id = new RequestId("r1");
        var reservation = table.Reserve(id, 37, "tiny", decode.Storage.Layout);
        var published = new List<int>();
        RequestHandle? handle = null;
        (bool Arrived, bool PrefillDone, int[] Published)? seen = null;

        // The engine thread stops inside the one prefill step, right after layer 0 is published, until the decode
        // worker has written a layer-0 chunk: only a push running during the step lets it go on.
        using var streaming = StreamingPrefill.Start(prefill, id, TinyEngines.Prompt(37), TinyEngines.Greedy(4), reservation.Ticket!, 256, inner => new ObservedSink(inner, slab =>
        {
            published.Add(slab.Layer);
            if (slab.Layer == 0 && seen is null)
            {
                seen = (target.FirstLayerWritten.Wait(TimeSpan.FromSeconds(60)), handle!.Completion.IsCompleted, [.. published]);
            }
        }), CancellationToken.None);
        handle = streaming.Handle;
        var push = new KvPushClient(new KvTransferService.KvTransferClient(channel)).PushAsync(streaming.Push);
        // The held step gets a thread of its own, so the push never waits for a thread-pool thread while it blocks.
        await Task.Factory.StartNew(prefill.RunUntilIdle, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var result = await push;

        Assert.NotNull(seen);
        Assert.True(seen.Value.Arrived, "no layer-0 chunk reached the decode worker while the prefill step was held");
        Assert.False(seen.Value.PrefillDone);
        Assert.Equal([0], seen.Value.Published);
        Assert.Equal([0, 1], published);
        Assert.Equal(1, prefill.Stats.Steps);
        Assert.True(result.Complete);
    }

    [Fact]
    public async Task StreamingPush_PrefillCancelled_PushFailsAndNothingIsLeftReserved()
    {
        using var prefill = _tiny.New(EngineRoleNames.Prefill, maxBatchTokens: 8);
        using var decode = _tiny.New(EngineRoleNames.Decode);
        using var table = new KvReservationTable(new EngineKvImportTarget(decode.Import), Options.Create(new KvTransferOptions()), TimeProvider.System);
        await using var server = await TransferFixture.StartServerAsync(table);
        using var channel = GrpcChannel.ForAddress(server.Urls.First());
        var id = new RequestId("r1");
        var reservation = table.Reserve(id, 37, "tiny", decode.Storage.Layout);
        using var cts = new CancellationTokenSource();
        using var streaming = StreamingPrefill.Start(prefill, id, TinyEngines.Prompt(37), TinyEngines.Greedy(4), reservation.Ticket!, 256, cts.Token);
        var push = new KvPushClient(new KvTransferService.KvTransferClient(channel)).PushAsync(streaming.Push);

        Assert.True(prefill.Step());   // the first chunk of the prompt: its layers are published
        cts.Cancel();
        prefill.RunUntilIdle();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => push);
        Assert.True(streaming.Handle.Completion.IsCanceled);
        Assert.Equal(0, prefill.Stats.UsedBlocks);
        Assert.True(table.Cancel(id));
        Assert.Equal(0, decode.Stats.UsedBlocks);
    }

    private sealed class ObservedSink(IKvLayerSink inner, Action<KvLayerSlab> observe) : IKvLayerSink
    {
        public void LayerReady(KvLayerSlab slab)
        {
            inner.LayerReady(slab);
            observe(slab);
        }
    }

    private sealed class FirstLayerWatch(IKvImportTarget inner) : IKvImportTarget
    {
        public ManualResetEventSlim FirstLayerWritten { get; } = new();

        public string Model => inner.Model;

        public KvCacheLayout Layout => inner.Layout;

        public int? TryReserve(RequestId request, int tokens) => inner.TryReserve(request, tokens);

        public void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, ReadOnlySpan<byte> data)
        {
            inner.Write(request, layerStart, layerCount, blockStart, blockCount, data);
            if (layerStart == 0) FirstLayerWritten.Set();
        }

        public void Release(RequestId request) => inner.Release(request);
    }
}
