using Cluster.ClusterState.Events;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;

namespace Cluster.Cli.Bench;

/// <summary>
/// The router-index workload: cached prompts that share a few system prompts, spread over workers (some held twice,
/// some with an evicted tail), and lookup prompts of three kinds: a cached prompt again, a new prompt on a known system
/// prompt, a prompt never seen. Deterministic for a seed; hashes come from the real <see cref="BlockHasher"/>.
/// </summary>
internal sealed class RouterIndexBenchWorkload
{
    private const int Vocabulary = 32_000;

    private RouterIndexBenchWorkload(ModelId model, BlockHash[][] cached, List<KvEventBatch> batches, BlockHash[][] queries, int[][] queryTokens)
    {
        Model = model;
        Cached = cached;
        Batches = batches;
        Queries = queries;
        QueryTokens = queryTokens;
    }

    public ModelId Model { get; }

    public BlockHash[][] Cached { get; }

    /// <summary>The KV events that put the cached prompts on the workers, one batch per prompt per worker.</summary>
    public List<KvEventBatch> Batches { get; }

    public BlockHash[][] Queries { get; }

    public int[][] QueryTokens { get; }

    public int DistinctBlocks => Cached.SelectMany(b => b).Distinct().Count();

    public static RouterIndexBenchWorkload Build(int prompts, int workers, int promptTokens, int blockSize, int systemPrompts, int queries, int seed)
    {
        var random = new Random(seed);
        var model = new ModelId("bench/router-index");
        var hasher = new BlockHasher(model, blockSize);
        var systemTokens = Math.Min(promptTokens, 32 * blockSize);
        var system = Enumerable.Range(0, systemPrompts).Select(_ => RandomTokens(random, systemTokens)).ToArray();
        int[] NewPrompt() => [.. system[(int)(systemPrompts * Math.Pow(random.NextDouble(), 2))], .. RandomTokens(random, promptTokens - systemTokens)];

        var cachedTokens = Enumerable.Range(0, prompts).Select(_ => NewPrompt()).ToArray();
        var cached = cachedTokens.Select(t => hasher.HashBlocks(t)).ToArray();
        var sequence = new long[workers];
        var batches = new List<KvEventBatch>();
        void Store(int worker, BlockHash[] blocks) =>
            batches.Add(new KvEventBatch(new WorkerId($"worker-{worker}"), model, [new BlockStoredEvent(++sequence[worker], blocks)]));
        foreach (var blocks in cached)
        {
            var primary = random.Next(workers);
            Store(primary, blocks);
            if (random.NextDouble() < 0.3)
            {
                var second = (primary + 1 + random.Next(workers - 1)) % workers;
                Store(second, blocks[..random.Next(Math.Min(32, blocks.Length), blocks.Length + 1)]); // tail evicted
            }
        }

        var queryTokens = new int[queries][];
        for (var i = 0; i < queries; i++)
        {
            var kind = random.NextDouble();
            queryTokens[i] = kind < 0.5 ? cachedTokens[random.Next(prompts)]
                : kind < 0.8 ? NewPrompt()
                : RandomTokens(random, promptTokens);
        }

        return new RouterIndexBenchWorkload(model, cached, batches, [.. queryTokens.Select(t => hasher.HashBlocks(t))], queryTokens);
    }

    private static int[] RandomTokens(Random random, int count)
    {
        var tokens = new int[count];
        for (var i = 0; i < count; i++) { tokens[i] = random.Next(Vocabulary); }
        return tokens;
    }
}
