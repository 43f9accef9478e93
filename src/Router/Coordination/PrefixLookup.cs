using Cluster.ClusterState;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;

namespace Cluster.Router.Coordination;

/// <summary>
/// The first step of a routing decision: hash the prompt's full blocks (<see cref="BlockHasher"/> with model, block
/// size and cache salt, exactly as the workers do) and ask the prefix index once. Never throws for an index failure:
/// the answer is then <see cref="PrefixOverlap.Unavailable"/> and routing goes on load alone.
/// </summary>
public static class PrefixLookup
{
    /// <summary>Per worker, the leading prompt blocks it caches.</summary>
    public static async Task<PrefixOverlap> FindAsync(
        IPrefixIndex index, ModelId model, IReadOnlyList<int> promptTokens, int blockSize, string cacheSalt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(promptTokens);
        var tokens = promptTokens as int[] ?? [.. promptTokens];
        var blocks = new BlockHasher(model, blockSize, cacheSalt).HashBlocks(tokens);
        if (blocks.Length == 0)
        {
            return PrefixOverlap.None;
        }

        try
        {
            return await index.FindOverlapAsync(model, blocks, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return PrefixOverlap.Unavailable;
        }
    }
}
