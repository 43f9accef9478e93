namespace Cluster.Cli.Bench;

/// <summary>
/// A shared-prefix workload: a few long "system prompts", each request one of them plus its own short user suffix,
/// arriving as a Poisson process. Token ids from the byte range of the generated tiny model. Deterministic per seed.
/// </summary>
internal sealed record ClusterTtftBenchWorkload(IReadOnlyList<ClusterTtftBenchWorkload.Request> Requests, IReadOnlyList<int[]> Warmup)
{
    /// <summary>One request: its arrival offset from the start, its prompt and which system prompt it shares.</summary>
    public sealed record Request(TimeSpan Arrival, int[] Prompt, int SystemPrompt);

    public static ClusterTtftBenchWorkload Build(int systemPrompts, int systemTokens, int requests, double ratePerSecond, int seed)
    {
        var random = new Random(seed);
        var systems = Enumerable.Range(0, systemPrompts).Select(_ => Ids(random, systemTokens)).ToArray();
        var list = new List<Request>(requests);
        var clock = 0.0;
        for (var i = 0; i < requests; i++)
        {
            clock += -Math.Log(1 - random.NextDouble()) / ratePerSecond;
            var system = random.Next(systemPrompts);
            list.Add(new Request(TimeSpan.FromSeconds(clock), [.. systems[system], .. Ids(random, random.Next(16, 64))], system));
        }

        // Warm-up prompts share nothing with the measured ones (different first token range), so they only warm code paths.
        var warmup = Enumerable.Range(0, 4).Select(_ => Ids(random, 48).Select(t => t + 128).ToArray()).ToArray();
        return new ClusterTtftBenchWorkload(list, warmup);
    }

    private static int[] Ids(Random random, int count)
    {
        var ids = new int[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = random.Next(32, 127);
        }

        return ids;
    }
}
