using Cluster.Core.Hashing;

namespace Cluster.Engine.KvCache;

/// <summary>
/// A change to the set of cached blocks, numbered per engine without gaps from 1 so that a consumer
/// (the Redis prefix index) notices a lost event and asks for a full re-publish.
/// </summary>
public abstract record KvCacheEvent(long Sequence);

/// <summary>Blocks became reusable prefix-cache entries (each full and hashed); <paramref name="Parent"/> precedes the first.</summary>
public sealed record BlockStoredEvent(long Sequence, BlockHash? Parent, IReadOnlyList<BlockHash> Hashes) : KvCacheEvent(Sequence);

/// <summary>Cached blocks were evicted and can no longer be reused.</summary>
public sealed record BlockRemovedEvent(long Sequence, IReadOnlyList<BlockHash> Hashes) : KvCacheEvent(Sequence);

/// <summary>Every cached block was dropped (e.g. a cache reset).</summary>
public sealed record AllClearedEvent(long Sequence) : KvCacheEvent(Sequence);
