namespace Cluster.Cli.Bench;

/// <summary>
/// The requests of one <c>bench disagg</c> phase: Poisson arrivals (seeded) of token-id prompts. <c>random</c>: every
/// prompt its own random ids; <c>shared-prefix</c>: G groups each sharing a P-token prefix, a random suffix up to the
/// prompt length, groups interleaved (request i is in group i mod G). Same seed and rate → same requests, so colocated
/// and disaggregated see identical loads.
/// </summary>
public sealed record DisaggBenchWorkload(IReadOnlyList<DisaggBenchWorkload.Request> Requests, IReadOnlyList<int[]> Warmup, int SharedPrefixTokens)
{
    /// <summary>One request: arrival offset from the start of the measured phase, prompt, group (-1: none).</summary>
    public sealed record Request(TimeSpan Arrival, int[] Prompt, int Group);

    public const string Random = "random";
    public const string SharedPrefix = "shared-prefix";

    public static DisaggBenchWorkload Build(string kind, DisaggBenchModelShape shape, int requests, double rate, int promptTokens,
        int groups, int prefixTokens, int warmup, int seed)
    {
        if (kind is not (Random or SharedPrefix))
        {
            throw new ArgumentException($"--workload must be {Random} or {SharedPrefix} (got '{kind}').");
        }

        var shared = kind == SharedPrefix;
        if (shared && (groups < 1 || prefixTokens < 1 || prefixTokens >= promptTokens))
        {
            throw new ArgumentException($"shared-prefix needs --groups >= 1 and 0 < --prefix-tokens < --prompt-tokens (got {groups}, {prefixTokens}, {promptTokens}).");
        }

        var random = new System.Random(seed);
        int[] Ids(int count)
        {
            var ids = new int[count];
            for (var i = 0; i < count; i++)
            {
                do
                {
                    ids[i] = random.Next(shape.PromptIdStart, shape.PromptIdLimit);
                }
                while (shape.SpecialIds.Contains(ids[i]));
            }

            return ids;
        }

        var prefixes = shared ? Enumerable.Range(0, groups).Select(_ => Ids(prefixTokens)).ToArray() : [];
        var list = new List<Request>(requests);
        var clock = 0.0;
        for (var i = 0; i < requests; i++)
        {
            clock += -Math.Log(1 - random.NextDouble()) / rate;
            var prompt = shared ? [.. prefixes[i % groups], .. Ids(promptTokens - prefixTokens)] : Ids(promptTokens);
            list.Add(new Request(TimeSpan.FromSeconds(clock), prompt, shared ? i % groups : -1));
        }

        // Warm-up prompts share nothing with the measured ones (fresh random ids), so they only warm code paths and kernels.
        var warm = Enumerable.Range(0, warmup).Select(_ => Ids(promptTokens)).ToArray();
        return new DisaggBenchWorkload(list, warm, shared ? prefixTokens : 0);
    }

    /// <summary>
    /// Worst-case uncached prompt tokens per request, averaged: a group's first request computes its whole prompt; later
    /// ones only what follows the prefix's whole 16-token blocks, rounded up to whole blocks (KV moves in blocks).
    /// Random workload: whole prompts, rounded up the same way.
    /// </summary>
    public double UncachedTokensPerRequest(int blockSize = 16)
    {
        var cachedPrefix = SharedPrefixTokens / blockSize * blockSize;
        var seen = new HashSet<int>();
        int Blocks(int tokens) => (tokens + blockSize - 1) / blockSize * blockSize;
        return Requests.Average(r => (double)Blocks(r.Group >= 0 && !seen.Add(r.Group) ? r.Prompt.Length - cachedPrefix : r.Prompt.Length));
    }
}
