using Cluster.Core.Ids;
using Cluster.KvTransfer;
using Cluster.Core.Kv;
using Cluster.Engine.Serving;

namespace Cluster.Worker.KvEngine;

/// <summary>The decode-side engine's cache as an <see cref="IKvImportTarget"/> (its <see cref="KvImportPort"/>).</summary>
public sealed class EngineKvImportTarget(KvImportPort port) : IKvImportTarget
{
    public string Model => port.Model;

    public KvCacheLayout Layout => port.Layout;

    public int? TryReserve(RequestId request, int tokens) => port.TryReserve(request, tokens);

    public KvReservationGrant? TryReserve(RequestId request, int tokens, IReadOnlyList<int>? tokenIds, string cacheSalt) =>
        port.TryReserve(request, tokens, tokenIds, cacheSalt);

    public void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, ReadOnlySpan<byte> data) =>
        port.Write(request, layerStart, layerCount, blockStart, blockCount, data);

    /// <summary>Device to device when the ring is this engine's kind of device memory; otherwise through the host.</summary>
    public void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, KvTransfer.CudaIpc.IKvIpcRegion source, long offset, int length)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source is TorchIpcRegion device)
        {
            port.Write(request, layerStart, layerCount, blockStart, blockCount, device.Memory, offset);
            return;
        }
        var buffer = new byte[length];
        source.Read(offset, buffer);
        port.Write(request, layerStart, layerCount, blockStart, blockCount, buffer);
    }

    public void Release(RequestId request) => port.Release(request);
}
