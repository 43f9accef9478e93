using Cluster.Core.Ids;
using Cluster.Engine.Serving;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Client;
using Cluster.Torch;

namespace Cluster.Worker.KvEngine;

/// <summary>
/// Builds the push of a request whose KV a prefill-role engine keeps: chunks in <see cref="KvChunkPlanner"/> order,
/// each exported from the engine (one gather, one device→host copy) into one reused <see cref="HostStaging"/> of the
/// largest chunk, pinned on CUDA, and handed on from there without a managed copy (the push client has one pending
/// write, and a write has copied the chunk into its frame before the next chunk is asked for). Memory per push: that
/// staging (about one chunk, default 1 MiB) on the host and as much on the device, freed when the push ends.
/// </summary>
public static class EngineKvSource
{
    /// <summary>A push of the KV the engine keeps for <paramref name="request"/> to the holder of <paramref name="ticket"/>.</summary>
    /// <remarks>With <paramref name="firstBlock"/> &gt; 0 the receiver already holds blocks [0, firstBlock) (Reserve's cached_tokens).</remarks>
    public static KvPushRequest Create(InferenceEngine engine, RequestId request, string ticket, int maxChunkBytes = KvTransferOptions.DefaultMaxChunkBytes, int firstBlock = 0)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var tokens = engine.ExportableTokens(request)
            ?? throw new InvalidOperationException($"The engine keeps no KV for request {request}; prefill it in the prefill role first.");
        var layout = engine.Storage.Layout;
        var ranges = KvChunkPlanner.ForAllLayers(layout, layout.BlocksFor(tokens), maxChunkBytes, firstBlock).ToArray();
        return new KvPushRequest(ticket, engine.ModelId.Value, layout, tokens, (from, ct) => Chunks(engine, request, ranges, from, ct))
        {
            DeviceSource = engine.Storage.Device.IsCuda ? (from, ct) => DeviceChunks(engine, request, ranges, from, ct) : null,
        };
    }

    // The same chunks left on the device: each is gathered straight into a CUDA IPC ring slot when sent.
    private static async IAsyncEnumerable<KvChunkData> DeviceChunks(
        InferenceEngine engine, RequestId request, KvChunkRange[] ranges, uint from,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        var layout = engine.Storage.Layout;
        for (var i = (int)from; i < ranges.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var r = ranges[i];
            yield return new KvChunkData(r, ReadOnlyMemory<byte>.Empty) { Device = new KeptBytes(engine, request, r, (int)layout.RangeBytes(r.LayerCount, r.BlockCount)) };
        }
    }

    // A range of the KV the engine keeps for export, copied when the push asks.
    private sealed class KeptBytes(InferenceEngine engine, RequestId request, KvChunkRange r, int length) : KvTransfer.CudaIpc.IKvDeviceBytes
    {
        public int Length => length;

        public void CopyTo(KvTransfer.CudaIpc.IKvIpcRegion region, long offset)
        {
            var memory = (region as TorchIpcRegion)?.Memory
                ?? throw new ArgumentException($"The engine's KV copies only into CUDA IPC memory of its device, not {region?.GetType().Name}.", nameof(region));
            engine.ExportKvToDevice(request, r.LayerStart, r.LayerCount, r.BlockStart, r.BlockCount, memory, offset);
        }

        public void CopyTo(Span<byte> destination) => engine.ExportKv(request, r.LayerStart, r.LayerCount, r.BlockStart, r.BlockCount, destination);
    }

    private static async IAsyncEnumerable<KvChunkData> Chunks(
        InferenceEngine engine, RequestId request, KvChunkRange[] ranges, uint from,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        var layout = engine.Storage.Layout;
        var largest = ranges.Length == 0 ? 1 : ranges.Max(r => layout.RangeBytes(r.LayerCount, r.BlockCount));
        using var staging = HostStaging.Allocate((int)largest, engine.Storage.Device);
        for (var i = (int)from; i < ranges.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var r = ranges[i];
            var bytes = engine.ExportKvStaged(request, r.LayerStart, r.LayerCount, r.BlockStart, r.BlockCount, staging);
            yield return new KvChunkData(r, staging.Memory[..bytes]);
        }
    }
}
