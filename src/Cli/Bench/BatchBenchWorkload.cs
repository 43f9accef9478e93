namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench batch</c>'s workload: N requests, each one of K shared "system prompts" plus its own short suffix,
/// in random order (the system prompt of each request is drawn at random). Token ids from the tiny model's byte range;
/// deterministic per seed. Probes for the online TTFT share nothing with the batch.
/// </summary>
internal sealed record BatchBenchWorkload(IReadOnlyList<int[]> Prompts, IReadOnlyList<int[]> Probes)
{
    public static BatchBenchWorkload Build(int requests, int systemPrompts, int systemTokens, int probes, int seed)
    {
        var random = new Random(seed);
        var systems = Enumerable.Range(0, systemPrompts).Select(_ => Ids(random, systemTokens, 32)).ToArray();
        var prompts = Enumerable.Range(0, requests)
            .Select(_ => (int[])[.. systems[random.Next(systemPrompts)], .. Ids(random, random.Next(16, 48), 32)]).ToList();
        var probeList = Enumerable.Range(0, probes).Select(_ => Ids(random, 64, 160)).ToList();
        return new BatchBenchWorkload(prompts, probeList);
    }

    private static int[] Ids(Random random, int count, int low)
    {
        var ids = new int[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = random.Next(low, low + 90);
        }

        return ids;
    }
}
