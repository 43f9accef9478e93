using Cluster.Core.Hashing;

namespace Cluster.Router.Batch;

/// <summary>What the scheduler needs of one request: its index, the hashes of its prompt's full blocks, its lengths.</summary>
public sealed record BatchItem(int Index, IReadOnlyList<BlockHash> Blocks, int PromptTokens, int MaxTokens);

/// <summary>
/// Requests sharing a prompt prefix of <paramref name="SharedBlocks"/> full blocks. <see cref="Indices"/>[0] is the
/// leader: it runs alone first, so the prefix is prefilled once, then the others follow onto the worker that holds it.
/// </summary>
public sealed record BatchGroup(IReadOnlyList<int> Indices, int SharedBlocks)
{
    /// <summary>Prompt tokens to compute: the shared prefix once, each request's own suffix.</summary>
    public long ComputeTokens { get; init; }

    /// <summary>Output tokens (KV memory held while decoding): the sum of max_tokens.</summary>
    public long OutputTokens { get; init; }

    /// <summary>The hashes of the shared prefix's blocks (empty for a request that shares none).</summary>
    public IReadOnlyList<BlockHash> Prefix { get; init; } = [];
}

/// <summary>
/// Plans a batch (BatchLLM, BlendServe): the prefix tree of every prompt's block hashes (a chained hash identifies a
/// whole prefix), each request grouped under its deepest block that another request of the batch shares; groups then
/// ordered so that compute-heavy (long uncached prompts) and memory-heavy (long outputs) groups alternate.
/// <see cref="BatchSchedulingModes.FileOrder"/> makes one group per request in file order.
/// </summary>
public static class BatchScheduler
{
    public static IReadOnlyList<BatchGroup> Plan(IReadOnlyList<BatchItem> items, string mode, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (mode == BatchSchedulingModes.FileOrder)
        {
            return items.OrderBy(i => i.Index)
                .Select(i => new BatchGroup([i.Index], 0) { ComputeTokens = i.PromptTokens, OutputTokens = i.MaxTokens }).ToList();
        }

        var counts = new Dictionary<BlockHash, int>();
        foreach (var item in items)
        {
            foreach (var block in item.Blocks)
            {
                counts[block] = counts.GetValueOrDefault(block) + 1;
            }
        }

        // Each request under its deepest shared block (its chain's shared part is a prefix: counts never rise along it).
        var groups = new Dictionary<BlockHash, List<BatchItem>>();
        var singles = new List<BatchItem>();
        var depth = new Dictionary<BlockHash, int>();
        foreach (var item in items.OrderBy(i => i.Index))
        {
            var deepest = -1;
            for (var b = 0; b < item.Blocks.Count && counts[item.Blocks[b]] >= 2; b++)
            {
                deepest = b;
            }

            if (deepest < 0)
            {
                singles.Add(item);
                continue;
            }

            var key = item.Blocks[deepest];
            depth[key] = deepest + 1;
            if (!groups.TryGetValue(key, out var members))
            {
                groups[key] = members = [];
            }

            members.Add(item);
        }

        var planned = groups.Select(g => Group(g.Value, depth[g.Key], blockSize))
            .Concat(singles.Select(s => Group([s], 0, blockSize)))
            .ToList();
        return Blend(planned);
    }

    /// <summary>
    /// Sorts groups by compute share (prompt tokens to compute over prompt + output tokens) and alternates the most
    /// compute-heavy remaining with the most memory-heavy remaining, so that prefill-bound and decode-bound work overlap.
    /// </summary>
    public static IReadOnlyList<BatchGroup> Blend(IReadOnlyList<BatchGroup> groups)
    {
        var sorted = groups.OrderByDescending(ComputeShare).ThenBy(g => g.Indices[0]).ToList();
        var order = new List<BatchGroup>(sorted.Count);
        for (int lo = 0, hi = sorted.Count - 1; lo <= hi; lo++, hi--)
        {
            order.Add(sorted[lo]);
            if (hi != lo)
            {
                order.Add(sorted[hi]);
            }
        }

        return order;
    }

    private static double ComputeShare(BatchGroup g) =>
        g.ComputeTokens + g.OutputTokens == 0 ? 0 : (double)g.ComputeTokens / (g.ComputeTokens + g.OutputTokens);

    private static BatchGroup Group(List<BatchItem> members, int sharedBlocks, int blockSize)
    {
        var shared = (long)sharedBlocks * blockSize;
        var compute = shared + members.Sum(m => (long)m.PromptTokens - shared);
        return new BatchGroup(members.Select(m => m.Index).ToList(), sharedBlocks)
        {
            ComputeTokens = compute,
            OutputTokens = members.Sum(m => (long)m.MaxTokens),
            Prefix = members[0].Blocks.Take(sharedBlocks).ToArray(),
        };
    }
}
