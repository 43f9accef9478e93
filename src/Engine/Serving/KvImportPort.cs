using Cluster.Core.Ids;
using Cluster.Core.Kv;
using Cluster.Engine.KvCache;

namespace Cluster.Engine.Serving;

/// <summary>
/// The engine's side of KV transfer, member for member <c>Cluster.KvTransfer.IKvImportTarget</c> (the worker host
/// wraps it; Engine does not reference KvTransfer): reserve blocks for a request's prompt, write ranges of them in
/// the layout of <see cref="KvCacheLayout"/>, release. Thread-safe: each call takes the engine's lock.
/// </summary>
public sealed class KvImportPort
{
    private readonly InferenceEngine _engine;
    private readonly Dictionary<RequestId, (IReadOnlyList<KvBlockId> Blocks, int Tokens)> _reservations = [];

    internal KvImportPort(InferenceEngine engine) => _engine = engine;

    /// <summary>The served model.</summary>
    public string Model => _engine.ModelId.Value;

    /// <summary>The cache's layout.</summary>
    public KvCacheLayout Layout => _engine.Storage.Layout;

    /// <summary>Reserves blocks for <paramref name="tokens"/> prompt tokens; the number of blocks, or null when the cache is full.</summary>
    public int? TryReserve(RequestId request, int tokens)
    {
        lock (_engine.Sync)
        {
            var blocks = _engine.Kv.TryReserve(request, tokens);
            if (blocks is null) return null;
            _reservations.Add(request, (blocks, tokens));
            return blocks.Count;
        }
    }

    /// <summary>Writes layers [layerStart, +layerCount) × reserved blocks [blockStart, +blockCount) from <paramref name="data"/>.</summary>
    public void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, ReadOnlySpan<byte> data)
    {
        lock (_engine.Sync)
        {
            if (!_reservations.TryGetValue(request, out var reservation))
            {
                throw new InvalidOperationException($"Request {request} has no open reservation; it was released, taken for decoding or never made.");
            }
            if (blockStart < 0 || blockCount < 1 || blockStart + blockCount > reservation.Blocks.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(blockCount), $"Blocks [{blockStart}, +{blockCount}) are outside the reservation's {reservation.Blocks.Count}.");
            }
            _engine.Storage.Import(Layout, layerStart, layerCount, [.. reservation.Blocks.Skip(blockStart).Take(blockCount)], data);
        }
    }

    /// <summary>Frees the request's reserved blocks (lease expired, cancelled). Idempotent.</summary>
    public void Release(RequestId request)
    {
        lock (_engine.Sync)
        {
            if (_reservations.Remove(request)) _engine.Kv.Free(request);
        }
        _engine.Wake();
    }

    /// <summary>
    /// Hands the reservation of <paramref name="tokens"/> tokens to a decoding sequence whose blocks will be cached under
    /// <paramref name="cacheSalt"/>; false if there is none.
    /// </summary>
    internal bool TryTake(RequestId request, int tokens, string cacheSalt)
    {
        lock (_engine.Sync)
        {
            if (!_reservations.TryGetValue(request, out var r) || r.Tokens != tokens) return false;
            _engine.Kv.SetCacheSalt(request, cacheSalt);
            return _reservations.Remove(request);
        }
    }
}
