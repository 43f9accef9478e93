using Cluster.Core.Ids;
using Cluster.Core.Kv;

namespace Cluster.KvTransfer.Reservations;

/// <summary>
/// Blocks a decode worker holds for one request until the prefill worker has pushed its KV. All mutable state is
/// guarded by <see cref="Gate"/>; writes into the blocks happen under it too, so a release never races a write.
/// The first <see cref="CachedBlocks"/> blocks came from the worker's prefix cache: they count as written in every
/// layer from the start, and a chunk into them is refused.
/// </summary>
public sealed class KvReservation
{
    private readonly bool[] _covered;
    private int _coveredCount;

    internal KvReservation(string ticket, RequestId request, int tokens, int blocks, KvCacheLayout layout, int cachedBlocks = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cachedBlocks, blocks);
        Ticket = ticket;
        Request = request;
        Tokens = tokens;
        Blocks = blocks;
        Layout = layout;
        CachedBlocks = cachedBlocks;
        _covered = new bool[layout.Layers * blocks];
        for (var layer = 0; layer < layout.Layers; layer++)
        {
            _covered.AsSpan(layer * blocks, cachedBlocks).Fill(true);
        }

        _coveredCount = layout.Layers * cachedBlocks;
    }

    public string Ticket { get; }

    public RequestId Request { get; }

    /// <summary>Prompt tokens whose KV the reservation holds.</summary>
    public int Tokens { get; }

    /// <summary>Reserved blocks.</summary>
    public int Blocks { get; }

    /// <summary>Leading blocks taken from the worker's prefix cache (not pushed).</summary>
    public int CachedBlocks { get; }

    public KvCacheLayout Layout { get; }

    internal Lock Gate { get; } = new();

    internal KvReservationState State { get; set; } = KvReservationState.Open;

    internal bool Pushing { get; set; }

    internal DateTimeOffset LeaseExpiresAt { get; set; }

    internal ITimer? LeaseTimer { get; set; }

    internal uint NextSequence { get; private set; }

    internal uint CommittedChunks { get; private set; }

    internal ulong CommittedBytes { get; private set; }

    /// <summary>Every layer of every block has been written at least once.</summary>
    internal bool Complete => _coveredCount == _covered.Length;

    internal void RecordCommit(int layerStart, int layerCount, int blockStart, int blockCount, int bytes)
    {
        for (var layer = layerStart; layer < layerStart + layerCount; layer++)
        {
            for (var block = blockStart; block < blockStart + blockCount; block++)
            {
                ref var cell = ref _covered[(layer * Blocks) + block];
                if (!cell)
                {
                    cell = true;
                    _coveredCount++;
                }
            }
        }

        NextSequence++;
        CommittedChunks++;
        CommittedBytes += (ulong)bytes;
    }
}
