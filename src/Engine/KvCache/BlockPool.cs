using Cluster.Core.Hashing;

namespace Cluster.Engine.KvCache;

/// <summary>
/// Bookkeeping of the cache's physical blocks: reference counts, the prefix-cache map from
/// <see cref="BlockHash"/> to block, and LRU eviction of cached blocks nobody references.
/// Not thread-safe: owned by the engine loop. Invariants in README.md.
/// </summary>
public sealed class BlockPool
{
    private readonly int[] _refCounts;
    private readonly BlockHash?[] _hashes;
    private readonly LinkedListNode<int>?[] _lruNodes;
    private readonly LinkedList<int> _evictable = new(); // first = least recently released = evicted first
    private readonly Stack<int> _free = new();
    private readonly Dictionary<BlockHash, int> _cached = [];
    private readonly List<KvCacheEvent> _pendingEvents = [];
    private long _eventSequence;

    public BlockPool(int totalBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalBlocks, 1);
        _refCounts = new int[totalBlocks];
        _hashes = new BlockHash?[totalBlocks];
        _lruNodes = new LinkedListNode<int>?[totalBlocks];
        for (var b = totalBlocks - 1; b >= 0; b--)
        {
            _free.Push(b);
        }
    }

    /// <summary>All blocks.</summary>
    public int TotalBlocks => _refCounts.Length;

    /// <summary>Blocks an allocation can take now: never used, or cached but unreferenced (evictable).</summary>
    public int AvailableBlocks => _free.Count + _evictable.Count;

    /// <summary>Blocks referenced by at least one sequence.</summary>
    public int UsedBlocks => TotalBlocks - AvailableBlocks;

    /// <summary>Cached blocks nobody references (evicted first-in first when blocks run out).</summary>
    public int EvictableBlocks => _evictable.Count;

    /// <summary>Blocks in the prefix cache (referenced or not).</summary>
    public int CachedBlocks => _cached.Count;

    /// <summary>The number of the last event produced (0 before any).</summary>
    public long LastEventSequence => _eventSequence;

    /// <summary>References of <paramref name="block"/> (for tests and diagnostics).</summary>
    public int RefCount(KvBlockId block) => _refCounts[block.Value];

    /// <summary>
    /// Takes <paramref name="count"/> blocks with one reference each, evicting least recently used cached
    /// blocks if needed. Returns null (taking nothing) when fewer than <paramref name="count"/> are available.
    /// </summary>
    public KvBlockId[]? TryAllocate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > AvailableBlocks)
        {
            return null;
        }

        var blocks = new KvBlockId[count];
        List<BlockHash>? evicted = null;
        for (var i = 0; i < count; i++)
        {
            if (!_free.TryPop(out var b))
            {
                b = _evictable.First!.Value;
                (evicted ??= []).Add(Uncache(b));
            }

            _refCounts[b] = 1;
            blocks[i] = new KvBlockId(b);
        }

        if (evicted is not null)
        {
            _pendingEvents.Add(new BlockRemovedEvent(++_eventSequence, evicted));
        }

        return blocks;
    }

    /// <summary>Adds a reference to the cached block holding <paramref name="hash"/>, if there is one.</summary>
    public bool TryReuse(BlockHash hash, out KvBlockId block)
    {
        if (!_cached.TryGetValue(hash, out var b))
        {
            block = default;
            return false;
        }

        if (_lruNodes[b] is { } node)
        {
            _evictable.Remove(node);
            _lruNodes[b] = null;
        }

        _refCounts[b]++;
        block = new KvBlockId(b);
        return true;
    }

    /// <summary>Drops one reference; an unreferenced cached block becomes the most recently used evictable one.</summary>
    public void Release(KvBlockId block)
    {
        var b = block.Value;
        if (_refCounts[b] <= 0)
        {
            throw new InvalidOperationException($"KV block {b} released more often than it was referenced.");
        }

        if (--_refCounts[b] > 0)
        {
            return;
        }

        if (_hashes[b] is null)
        {
            _free.Push(b);
        }
        else
        {
            _lruNodes[b] = _evictable.AddLast(b);
        }
    }

    /// <summary>
    /// Registers full blocks (in order, each with its chained hash) as prefix-cache entries. A hash already
    /// cached in another block is skipped (that block stays the entry). Produces one <see cref="BlockStoredEvent"/>.
    /// </summary>
    public void Cache(ReadOnlySpan<KvBlockId> blocks, ReadOnlySpan<BlockHash> hashes, BlockHash? parent)
    {
        if (blocks.Length != hashes.Length)
        {
            throw new ArgumentException($"{blocks.Length} blocks but {hashes.Length} hashes.", nameof(hashes));
        }

        var stored = new List<BlockHash>(blocks.Length);
        for (var i = 0; i < blocks.Length; i++)
        {
            var b = blocks[i].Value;
            if (_refCounts[b] == 0)
            {
                throw new InvalidOperationException($"KV block {b} is not referenced; only blocks a sequence holds can be cached.");
            }

            if (_hashes[b] is null && _cached.TryAdd(hashes[i], b))
            {
                _hashes[b] = hashes[i];
                stored.Add(hashes[i]);
            }
        }

        if (stored.Count > 0)
        {
            _pendingEvents.Add(new BlockStoredEvent(++_eventSequence, parent, stored));
        }
    }

    /// <summary>Forgets every prefix-cache entry (referenced blocks stay with their sequences). Produces <see cref="AllClearedEvent"/>.</summary>
    public void ClearCache()
    {
        foreach (var b in _cached.Values)
        {
            _hashes[b] = null;
            if (_lruNodes[b] is not null)
            {
                _lruNodes[b] = null;
                _free.Push(b);
            }
        }

        _evictable.Clear();
        _cached.Clear();
        _pendingEvents.Add(new AllClearedEvent(++_eventSequence));
    }

    /// <summary>Every cached hash, for a full re-publish after the index lost events.</summary>
    public IReadOnlyCollection<BlockHash> CachedHashes() => [.. _cached.Keys];

    /// <summary>Returns and forgets the events produced since the last call, in order.</summary>
    public IReadOnlyList<KvCacheEvent> DrainEvents()
    {
        var events = _pendingEvents.ToArray();
        _pendingEvents.Clear();
        return events;
    }

    private BlockHash Uncache(int b)
    {
        _evictable.Remove(_lruNodes[b]!);
        _lruNodes[b] = null;
        var hash = _hashes[b]!.Value;
        _hashes[b] = null;
        _cached.Remove(hash);
        return hash;
    }
}
