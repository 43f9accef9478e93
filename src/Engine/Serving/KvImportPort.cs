using Cluster.Core.Ids;
using Cluster.Core.Kv;
using Cluster.Engine.KvCache;
using Cluster.Torch;

namespace Cluster.Engine.Serving;

/// <summary>
/// The engine's side of KV transfer, member for member <c>Cluster.KvTransfer.IKvImportTarget</c> (the worker host
/// wraps it; Engine does not reference KvTransfer): reserve blocks for a request's tokens (reusing the prefix cache's
/// leading blocks when the tokens are given), write ranges of them in the layout of <see cref="KvCacheLayout"/>,
/// release. Thread-safe. Only reserving, handing over and freeing take the engine's lock (briefly; a step holds it
/// only between forward passes); a write touches nothing but blocks its reservation owns, so it never waits for a step
/// (src/Engine/KvCache/README.md, "KV import and export never wait for a step").
/// </summary>
public sealed class KvImportPort
{
    private readonly InferenceEngine _engine;
    private readonly Lock _gate = new();
    private readonly Dictionary<RequestId, Reservation> _reservations = [];   // guarded by _gate

    internal KvImportPort(InferenceEngine engine) => _engine = engine;

    /// <summary>The served model.</summary>
    public string Model => _engine.ModelId.Value;

    /// <summary>The cache's layout.</summary>
    public KvCacheLayout Layout => _engine.Storage.Layout;

    /// <summary>Reserves fresh blocks for <paramref name="tokens"/> tokens; the number of blocks, or null when the cache is full now.</summary>
    public int? TryReserve(RequestId request, int tokens) => TryReserve(request, tokens, null, "")?.Blocks;

    /// <summary>
    /// Reserves blocks for <paramref name="tokens"/> tokens. With <paramref name="tokenIds"/> (exactly those tokens) the
    /// leading full blocks the prefix cache holds under <paramref name="cacheSalt"/> are pinned instead of written
    /// (<see cref="KvReservationGrant.CachedBlocks"/>); the request that takes the reservation must then carry the same
    /// tokens and salt. Null when the cache has no room now.
    /// </summary>
    public KvReservationGrant? TryReserve(RequestId request, int tokens, IReadOnlyList<int>? tokenIds, string cacheSalt)
    {
        ArgumentNullException.ThrowIfNull(cacheSalt);
        int[]? ids = tokenIds is null || tokenIds.Count == 0 ? null : [.. tokenIds];
        SequenceAllocation? allocation;
        lock (_engine.Sync) allocation = _engine.Kv.TryReserve(request, tokens, ids ?? [], cacheSalt);
        if (allocation is null) return null;
        var cachedBlocks = allocation.CachedTokens / Layout.BlockSize;
        lock (_gate) _reservations.Add(request, new Reservation(allocation.Blocks, tokens, cachedBlocks, ids, ids is null ? null : cacheSalt));
        return new KvReservationGrant(allocation.Blocks.Count, cachedBlocks);
    }

    /// <summary>
    /// Writes layers [layerStart, +layerCount) × reserved blocks [blockStart, +blockCount) from <paramref name="data"/>,
    /// without the engine's lock (a step may be running); returns once the bytes are in the cache. Blocks the prefix
    /// cache supplied are shared and read-only: writing them is refused.
    /// </summary>
    public void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, ReadOnlySpan<byte> data)
    {
        var reservation = EnterWrite(request, blockStart, blockCount);
        try
        {
            _engine.Storage.Import(Layout, layerStart, layerCount, PagedKvStorage.Slice(reservation.Blocks, blockStart, blockCount), data, StreamOrder.Independent);
        }
        finally
        {
            ExitWrite(request, reservation);
        }
    }

    /// <summary>
    /// <see cref="Write(RequestId, int, int, int, int, ReadOnlySpan{byte})"/> device to device from <paramref name="source"/>
    /// at byte <paramref name="offset"/> (a sender's CUDA IPC ring slot on this GPU).
    /// </summary>
    public void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, CudaIpcMemory source, long offset)
    {
        var reservation = EnterWrite(request, blockStart, blockCount);
        try
        {
            _engine.Storage.Import(Layout, layerStart, layerCount, PagedKvStorage.Slice(reservation.Blocks, blockStart, blockCount), source, offset);
        }
        finally
        {
            ExitWrite(request, reservation);
        }
    }

    /// <summary>Copies every layer of the request's reserved blocks into <paramref name="destination"/> (layout of README.md): what a push wrote (checks, benchmarks).</summary>
    public void Read(RequestId request, Span<byte> destination)
    {
        Reservation reservation;
        lock (_gate)
        {
            if (!_reservations.TryGetValue(request, out reservation!))
            {
                throw new InvalidOperationException($"Request {request} has no open reservation; it was released, taken for decoding or never made.");
            }
            reservation.Writers++;
        }
        try
        {
            _engine.Storage.Export(Layout, 0, Layout.Layers, reservation.Blocks, destination, StreamOrder.Independent);
        }
        finally
        {
            ExitWrite(request, reservation);
        }
    }

    // Counts a writer into the request's reservation after checking the block range.
    private Reservation EnterWrite(RequestId request, int blockStart, int blockCount)
    {
        lock (_gate)
        {
            if (!_reservations.TryGetValue(request, out var reservation))
            {
                throw new InvalidOperationException($"Request {request} has no open reservation; it was released, taken for decoding or never made.");
            }
            if (blockStart < 0 || blockCount < 1 || blockStart + blockCount > reservation.Blocks.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(blockCount), $"Blocks [{blockStart}, +{blockCount}) are outside the reservation's {reservation.Blocks.Count}.");
            }
            if (blockStart < reservation.CachedBlocks)
            {
                throw new ArgumentOutOfRangeException(nameof(blockStart), $"Blocks [0, {reservation.CachedBlocks}) of the reservation came from this worker's prefix cache (shared, read-only); write from block {reservation.CachedBlocks} on.");
            }
            reservation.Writers++;
            return reservation;
        }
    }

    // Ends a write; frees the blocks when the reservation was released meanwhile.
    private void ExitWrite(RequestId request, Reservation reservation)
    {
        bool free;
        lock (_gate)
        {
            reservation.Writers--;
            free = reservation.Released && reservation.Writers == 0;
        }
        if (free) Free(request);
    }

    /// <summary>Frees the request's reserved blocks (lease expired, cancelled) once no write is in progress. Idempotent.</summary>
    public void Release(RequestId request)
    {
        bool free;
        lock (_gate)
        {
            if (!_reservations.Remove(request, out var reservation)) return;
            reservation.Released = true;
            free = reservation.Writers == 0;
        }
        if (free) Free(request);
    }

    /// <summary>
    /// Hands the reservation of the tokens <paramref name="tokenIds"/> to a decoding
    /// sequence whose blocks will be cached under <paramref name="cacheSalt"/>; false if there is none. Throws when a
    /// reservation made with token ids meets other tokens or another salt (its pinned blocks hold their KV).
    /// </summary>
    internal bool TryTake(RequestId request, ReadOnlySpan<int> tokenIds, string cacheSalt)
    {
        Reservation? reservation;
        lock (_gate)
        {
            if (!_reservations.TryGetValue(request, out reservation) || reservation.Tokens != tokenIds.Length || reservation.Writers > 0) return false;
            if (reservation.TokenIds is { } reserved && (!reserved.AsSpan().SequenceEqual(tokenIds) || reservation.CacheSalt != cacheSalt))
            {
                throw new InvalidOperationException($"Request {request} reserved KV for other tokens or another cache_salt than it decodes; reserve again with the request's tokens.");
            }
            _reservations.Remove(request);
        }
        if (reservation.TokenIds is null)
        {
            lock (_engine.Sync) _engine.Kv.SetCacheSalt(request, cacheSalt);
        }
        return true;
    }

    private void Free(RequestId request)
    {
        lock (_engine.Sync) _engine.Kv.Free(request);
        _engine.Wake();
    }

    private sealed class Reservation(IReadOnlyList<KvBlockId> blocks, int tokens, int cachedBlocks, int[]? tokenIds, string? cacheSalt)
    {
        public IReadOnlyList<KvBlockId> Blocks { get; } = blocks;
        public int Tokens { get; } = tokens;
        public int CachedBlocks { get; } = cachedBlocks;
        public int[]? TokenIds { get; } = tokenIds;
        public string? CacheSalt { get; } = cacheSalt;
        public int Writers { get; set; }
        public bool Released { get; set; }
    }
}
