using Cluster.Core.Ids;
using Cluster.Core.Kv;

namespace Cluster.KvTransfer;

/// <summary>
/// The decode-side engine's KV cache as the transfer service sees it: blocks reserved per request and written
/// by range in the byte layout of <see cref="KvCacheLayout"/>. Implementations must be thread-safe.
/// </summary>
public interface IKvImportTarget
{
    /// <summary>The served model (pushes for another model are refused).</summary>
    string Model { get; }

    /// <summary>The cache's layout (pushes with another layout are refused).</summary>
    KvCacheLayout Layout { get; }

    /// <summary>Reserves blocks for <paramref name="tokens"/> prompt tokens; the number of blocks, or null when the cache is full.</summary>
    int? TryReserve(RequestId request, int tokens);

    /// <summary>
    /// Reserves blocks for <paramref name="tokens"/> tokens whose ids are <paramref name="tokenIds"/> (or unknown: null),
    /// reusing the leading blocks the cache already holds under <paramref name="cacheSalt"/> where it can
    /// (<see cref="KvReservationGrant.CachedBlocks"/>: never written by a push); null when the cache is full now. A cache
    /// without a prefix cache grants fresh blocks only.
    /// </summary>
    KvReservationGrant? TryReserve(RequestId request, int tokens, IReadOnlyList<int>? tokenIds, string cacheSalt) =>
        TryReserve(request, tokens) is { } blocks ? new KvReservationGrant(blocks, 0) : null;

    /// <summary>
    /// Writes layers [<paramref name="layerStart"/>, +<paramref name="layerCount"/>) of the request's reserved blocks
    /// [<paramref name="blockStart"/>, +<paramref name="blockCount"/>) (indices within the reservation). The caller has
    /// checked the ranges and that <paramref name="data"/> has exactly the range's byte length.
    /// </summary>
    void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, ReadOnlySpan<byte> data);

    /// <summary>
    /// <see cref="Write(RequestId, int, int, int, int, ReadOnlySpan{byte})"/> from bytes [<paramref name="offset"/>,
    /// +<paramref name="length"/>) of device memory another process shared (CUDA IPC). An engine on that device copies
    /// device to device; this default reads the bytes to the host first.
    /// </summary>
    void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, CudaIpc.IKvIpcRegion source, long offset, int length)
    {
        ArgumentNullException.ThrowIfNull(source);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            source.Read(offset, buffer.AsSpan(0, length));
            Write(request, layerStart, layerCount, blockStart, blockCount, buffer.AsSpan(0, length));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Frees the request's reserved blocks (lease expired, cancelled). Idempotent.</summary>
    void Release(RequestId request);
}
