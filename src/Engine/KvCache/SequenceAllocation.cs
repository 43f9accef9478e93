namespace Cluster.Engine.KvCache;

/// <summary>The blocks given to a new sequence and how many leading prompt tokens were found in the prefix cache.</summary>
/// <param name="Blocks">The sequence's block table at allocation (cached blocks first).</param>
/// <param name="CachedTokens">Prompt tokens whose KV is already in <paramref name="Blocks"/> (a multiple of the block size).</param>
public sealed record SequenceAllocation(IReadOnlyList<KvBlockId> Blocks, int CachedTokens);
