using System.Collections.Immutable;
using Cluster.Core.Ids;

namespace Cluster.ClusterState;

/// <summary>
/// Answer of <see cref="IPrefixIndex.FindOverlapAsync"/>: for each worker holding at least the prompt's first block,
/// how many LEADING blocks of the prompt it holds (counting stops at its first missing block).
/// Workers absent from <see cref="Blocks"/> hold none.
/// </summary>
/// <param name="Blocks">Worker → number of leading prompt blocks it holds (≥ 1).</param>
/// <param name="IndexAvailable">False when the index could not be asked (Redis down): route on load alone.</param>
public sealed record PrefixOverlap(ImmutableDictionary<WorkerId, int> Blocks, bool IndexAvailable)
{
    /// <summary>No worker holds any leading block.</summary>
    public static PrefixOverlap None { get; } = new(ImmutableDictionary<WorkerId, int>.Empty, true);

    /// <summary>The index could not be asked; treat as no overlap.</summary>
    public static PrefixOverlap Unavailable { get; } = new(ImmutableDictionary<WorkerId, int>.Empty, false);

    /// <summary>Leading blocks of the prompt that <paramref name="worker"/> holds (0 when none).</summary>
    public int MatchedBlocks(WorkerId worker) => Blocks.TryGetValue(worker, out var n) ? n : 0;
}
