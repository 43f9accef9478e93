using Cluster.Core.Generation;
using Cluster.Core.Ids;
using Cluster.Engine.Serving;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>bench serve --graph-check N</c>: the first N requests' greedy tokens (each at most 64, lengths as in the workload so
/// the decode batch shrinks through several buckets), all submitted at once and run to idle, under each
/// <see cref="DecodeGraphMode"/> on one engine: off (eager, unpadded), padded (the graphs' padded pass, eagerly) and on
/// (CUDA graphs). Each mode runs under its own cache salt, so no run reuses another's prefix blocks and every run
/// schedules the same steps. On must equal padded token for token (a replay is the captured pass); on against off is the
/// issue's "greedy output identical to eager" (padding changes GEMM row counts, a bf16 near-tie may break differently).
/// </summary>
internal static class ServeBenchGraphCheck
{
    /// <summary>Prints one line per comparison; true when on equals padded and on ran from graphs (on CUDA).</summary>
    public static bool Run(InferenceEngine engine, ServeBenchWorkload workload, int count, bool cuda)
    {
        var requests = workload.Requests.Take(count).Select(r => r with { MaxTokens = Math.Clamp(r.MaxTokens, 2, 64) }).ToArray();
        var before = engine.DecodeGraphs;
        var runs = new Dictionary<DecodeGraphMode, (IReadOnlyList<int>[] Tokens, float[][] LogProbs, long GraphSteps, long PaddedSteps)>();
        foreach (var mode in new[] { DecodeGraphMode.Off, DecodeGraphMode.PaddedEager, DecodeGraphMode.On })
        {
            engine.DecodeGraphs = mode;
            var graphSteps = engine.Profile.GraphSteps;
            var paddedSteps = engine.Profile.PaddedSteps;
            var handles = requests.Select((r, i) => engine.Submit(new EngineRequest(new RequestId($"graph-check-{mode}-{i}"), r.Prompt,
                new GenerationParameters { MaxTokens = r.MaxTokens, IgnoreEos = true }) { CacheSalt = $"graph-check-{mode}" })).ToArray();
            engine.RunUntilIdle();
            var results = handles.Select(h => h.Completion.Result).ToArray();
            runs[mode] = ([.. results.Select(r => r.Tokens)], [.. results.Select(r => r.LogProbs.ToArray())],
                engine.Profile.GraphSteps - graphSteps, engine.Profile.PaddedSteps - paddedSteps);
        }
        engine.DecodeGraphs = before;
        var on = runs[DecodeGraphMode.On];
        Console.WriteLine($"graph check: {requests.Length} requests, {requests.Sum(r => r.MaxTokens)} output tokens; on: {on.GraphSteps} decode steps from CUDA graphs " +
            $"of {on.PaddedSteps} padded; padded: {runs[DecodeGraphMode.PaddedEager].PaddedSteps} padded eager steps; batch buckets {string.Join(",", engine.DecodeGraphBuckets)}, " +
            $"block-table widths {string.Join(",", engine.DecodeGraphWidths)}");
        Console.WriteLine($"graph check: {engine.DecodeGraphStatus ?? "no graph notice (no decode-only step tried a graph)"}");
        var exact = Compare("on vs padded eager (capture and replay)", on, runs[DecodeGraphMode.PaddedEager]);
        var eager = Compare("on vs off (graphs vs eager)", on, runs[DecodeGraphMode.Off]);
        Compare("padded eager vs off (padding alone)", runs[DecodeGraphMode.PaddedEager], runs[DecodeGraphMode.Off]);
        var used = !cuda || on.GraphSteps > 0;
        Console.WriteLine($"graph check: {(exact && used ? "PASS" : "FAIL")} (on equals padded eager: {exact}; graphs used: {used}); greedy identical to eager: {eager}");
        return exact && used;
    }

    private static bool Compare(string label, (IReadOnlyList<int>[] Tokens, float[][] LogProbs, long, long) a, (IReadOnlyList<int>[] Tokens, float[][] LogProbs, long, long) b)
    {
        int equal = 0, tokens = 0, agreeing = 0;
        var shortest = int.MaxValue;
        double noise = 0;
        for (var i = 0; i < a.Tokens.Length; i++)
        {
            var prefix = a.Tokens[i].Zip(b.Tokens[i]).TakeWhile(p => p.First == p.Second).Count();
            if (prefix == a.Tokens[i].Count && a.Tokens[i].Count == b.Tokens[i].Count) equal++;
            shortest = Math.Min(shortest, prefix);
            tokens += a.Tokens[i].Count;
            agreeing += prefix;
            for (var t = 0; t < prefix; t++) noise = Math.Max(noise, Math.Abs(a.LogProbs[i][t] - b.LogProbs[i][t]));
        }
        Console.WriteLine($"graph check: {label}: {equal}/{a.Tokens.Length} requests equal on all tokens, {agreeing}/{tokens} tokens before the first divergences, " +
            $"shortest agreeing prefix {shortest}, |log-prob difference| where they agree up to {noise:G3}");
        return equal == a.Tokens.Length;
    }
}
