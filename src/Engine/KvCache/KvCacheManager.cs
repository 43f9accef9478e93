using Cluster.Core.Hashing;
using Cluster.Core.Ids;

namespace Cluster.Engine.KvCache;

/// <summary>
/// Per-sequence block tables over a <see cref="BlockPool"/>: allocation that reuses cached prefix blocks,
/// growth as tokens are generated, registration of newly full blocks in the prefix cache, and freeing.
/// Expected shortfalls return null/false; the scheduler then waits or preempts. Not thread-safe.
/// </summary>
public sealed class KvCacheManager
{
    private readonly Dictionary<RequestId, SequenceBlocks> _sequences = [];
    private readonly BlockHasher _unsalted;
    private readonly ModelId _model;

    public KvCacheManager(BlockPool pool, ModelId model, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        Pool = pool;
        _model = model;
        BlockSize = blockSize;
        _unsalted = new BlockHasher(model, blockSize);
    }

    /// <summary>The physical blocks.</summary>
    public BlockPool Pool { get; }

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }

    /// <summary>Sequences holding blocks.</summary>
    public int SequenceCount => _sequences.Count;

    /// <summary>Blocks needed to hold <paramref name="tokens"/> tokens.</summary>
    public int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    /// <summary>
    /// Allocates blocks for a new sequence's prompt, reusing the longest cached prefix of full blocks. At least
    /// one prompt token is always left to compute (its logits give the first output token). Returns null,
    /// holding nothing, when the cache cannot fit the rest.
    /// </summary>
    public SequenceAllocation? TryAllocate(RequestId id, ReadOnlySpan<int> promptTokens, string cacheSalt = "")
    {
        if (promptTokens.IsEmpty)
        {
            throw new ArgumentException("A sequence needs at least one prompt token.", nameof(promptTokens));
        }

        if (_sequences.ContainsKey(id))
        {
            throw new InvalidOperationException($"Request {id} already holds KV blocks; free it before allocating again.");
        }

        // At least one prompt token is left to compute: only the full blocks before the last token may come from the cache.
        return Allocate(id, promptTokens.Length, promptTokens[..((promptTokens.Length - 1) / BlockSize * BlockSize)], cacheSalt);
    }

    /// <summary>
    /// Allocates blocks for <paramref name="tokens"/> tokens whose KV will be imported (a KV-transfer reservation). With
    /// <paramref name="tokenIds"/> (exactly those tokens) the leading full blocks already in the prefix cache under
    /// <paramref name="cacheSalt"/> are reused and pinned (their KV need not be imported; the allocation's CachedTokens
    /// says how many tokens they hold); without, every block is fresh. Null, holding nothing, when the cache cannot fit
    /// the rest. Once the KV is written, <see cref="Commit"/> with the tokens puts the new full blocks into the prefix cache.
    /// </summary>
    public SequenceAllocation? TryReserve(RequestId id, int tokens, ReadOnlySpan<int> tokenIds, string cacheSalt = "")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        if (!tokenIds.IsEmpty && tokenIds.Length != tokens)
        {
            throw new ArgumentException($"{tokenIds.Length} token ids for a reservation of {tokens} tokens; give exactly the reserved tokens, or none.", nameof(tokenIds));
        }

        if (_sequences.ContainsKey(id))
        {
            throw new InvalidOperationException($"Request {id} already holds KV blocks; free it before reserving again.");
        }

        // Every token's KV is imported: all full blocks may come from the cache.
        return Allocate(id, tokens, tokenIds[..(tokenIds.Length / BlockSize * BlockSize)], cacheSalt);
    }

    // A new block table for `tokens` tokens: the longest cached run of `reusable`'s full blocks (pinned), then fresh
    // blocks; null, holding nothing, when the pool cannot fit the rest.
    private SequenceAllocation? Allocate(RequestId id, int tokens, ReadOnlySpan<int> reusable, string cacheSalt)
    {
        var hasher = HasherFor(cacheSalt);
        var hashes = hasher.HashBlocks(reusable);
        var blocks = new List<KvBlockId>(BlocksFor(tokens));
        foreach (var hash in hashes)
        {
            if (!Pool.TryReuse(hash, out var block))
            {
                break;
            }

            blocks.Add(block);
        }

        var cached = blocks.Count;
        var fresh = Pool.TryAllocate(BlocksFor(tokens) - cached);
        if (fresh is null)
        {
            ReleaseReversed(blocks);
            return null;
        }

        blocks.AddRange(fresh);
        var sequence = new SequenceBlocks(hasher, blocks, tokens);
        sequence.Hashes.AddRange(hashes.AsSpan(0, cached));
        _sequences.Add(id, sequence);
        return new SequenceAllocation(blocks.ToArray(), cached * BlockSize);
    }

    /// <summary><see cref="TryReserve(RequestId, int, ReadOnlySpan{int}, string)"/> without prefix reuse: every block fresh.</summary>
    public IReadOnlyList<KvBlockId>? TryReserve(RequestId id, int tokens, string cacheSalt = "") =>
        TryReserve(id, tokens, [], cacheSalt)?.Blocks;

    /// <summary>
    /// Sets the salt under which a reservation's blocks will be cached (the salt arrives with the request that takes
    /// the reservation). Only before any of its blocks is cached: a cached block's hash never changes.
    /// </summary>
    public void SetCacheSalt(RequestId id, string cacheSalt)
    {
        ArgumentNullException.ThrowIfNull(cacheSalt);
        var sequence = Get(id);
        if (sequence.Hashes.Count > 0)
        {
            throw new InvalidOperationException($"Request {id} already cached {sequence.Hashes.Count} blocks under its salt; set the salt before committing.");
        }

        sequence.Hasher = HasherFor(cacheSalt);
    }

    /// <summary>Tokens the sequence's blocks have room for.</summary>
    public int Capacity(RequestId id) => Get(id).Capacity;

    /// <summary>Makes room for <paramref name="additionalTokens"/> more tokens; false (nothing taken) when the cache is full.</summary>
    public bool TryGrow(RequestId id, int additionalTokens)
    {
        var sequence = Get(id);
        var needed = BlocksFor(sequence.Capacity + additionalTokens) - sequence.Blocks.Count;
        if (needed > 0)
        {
            var fresh = Pool.TryAllocate(needed);
            if (fresh is null)
            {
                return false;
            }

            sequence.Blocks.AddRange(fresh);
        }

        sequence.Capacity += additionalTokens;
        return true;
    }

    /// <summary>
    /// Records that the KV of <paramref name="tokens"/> (the sequence's tokens so far, prompt first) is written,
    /// and puts every newly full block into the prefix cache.
    /// </summary>
    public void Commit(RequestId id, ReadOnlySpan<int> tokens)
    {
        var sequence = Get(id);
        if (tokens.Length > sequence.Capacity)
        {
            throw new InvalidOperationException($"Request {id} committed {tokens.Length} tokens but holds room for {sequence.Capacity}.");
        }

        var full = tokens.Length / BlockSize;
        var first = sequence.Hashes.Count;
        if (full <= first)
        {
            return;
        }

        var parent = first == 0 ? (BlockHash?)null : sequence.Hashes[^1];
        var hashes = new BlockHash[full - first];
        var previous = parent;
        for (var i = first; i < full; i++)
        {
            previous = sequence.Hasher.HashBlock(previous, tokens.Slice(i * BlockSize, BlockSize));
            hashes[i - first] = previous.Value;
        }

        sequence.Hashes.AddRange(hashes);
        Pool.Cache(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sequence.Blocks)[first..full], hashes, parent);
    }

    /// <summary>The sequence's block table.</summary>
    public IReadOnlyList<KvBlockId> GetBlocks(RequestId id) => Get(id).Blocks;

    /// <summary>Frees every block of the sequence (cached ones stay reusable until evicted). False if it held none.</summary>
    public bool Free(RequestId id)
    {
        if (!_sequences.Remove(id, out var sequence))
        {
            return false;
        }

        ReleaseReversed(sequence.Blocks);
        return true;
    }

    // Reverse order: a sequence's last blocks become least recently used, so eviction takes tails before shared prefixes.
    private void ReleaseReversed(List<KvBlockId> blocks)
    {
        for (var i = blocks.Count - 1; i >= 0; i--)
        {
            Pool.Release(blocks[i]);
        }
    }

    private SequenceBlocks Get(RequestId id) =>
        _sequences.TryGetValue(id, out var sequence)
            ? sequence
            : throw new InvalidOperationException($"Request {id} holds no KV blocks.");

    // The unsalted hasher is shared; a salted one is made per sequence (one short hash), so per-tenant salts never pile up.
    private BlockHasher HasherFor(string cacheSalt)
    {
        ArgumentNullException.ThrowIfNull(cacheSalt);
        return cacheSalt.Length == 0 ? _unsalted : new BlockHasher(_model, BlockSize, cacheSalt);
    }

    private sealed class SequenceBlocks(BlockHasher hasher, List<KvBlockId> blocks, int capacity)
    {
        public BlockHasher Hasher { get; set; } = hasher;

        public List<KvBlockId> Blocks { get; } = blocks;

        public List<BlockHash> Hashes { get; } = [];

        public int Capacity { get; set; } = capacity;
    }
}
