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

    public void Release(RequestId request) => port.Release(request);
}
