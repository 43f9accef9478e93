using Cluster.Core.Generation;
using Cluster.Core.Ids;
using Cluster.Engine.Generation;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Serving;

namespace Cluster.Cli.Bench;

/// <summary>
/// Greedy tokens of the engine (all requests batched, paged, chunked) against the single-sequence
/// <see cref="Generator"/> on the same model and device: how many requests agree on every token, and the
/// shortest agreeing prefix (bf16 kernels may break near-ties differently; fp32 should agree everywhere).
/// </summary>
internal static class ServeBenchCheck
{
    public static string Run(LlamaModel model, InferenceEngine engine, ServeBenchWorkload workload, int count)
    {
        var requests = workload.Requests.Take(count).Select(r => r with { MaxTokens = Math.Min(r.MaxTokens, 32) }).ToArray();
        var handles = requests.Select((r, i) => engine.Submit(new RequestId($"check-{i}"), r.Prompt, Greedy(r.MaxTokens))).ToArray();
        engine.RunUntilIdle();
        var generator = new Generator(model);
        var equal = 0;
        var shortest = int.MaxValue;
        double agreeingNoise = 0, divergenceGap = 0;
        for (var i = 0; i < requests.Length; i++)
        {
            var ours = handles[i].Completion.Result;
            var reference = generator.Generate(requests[i].Prompt, Greedy(requests[i].MaxTokens));
            var prefix = ours.Tokens.Zip(reference.Tokens).TakeWhile(p => p.First == p.Second).Count();
            if (prefix == reference.Tokens.Count && ours.Tokens.Count == reference.Tokens.Count) equal++;
            shortest = Math.Min(shortest, prefix);
            // Log-probabilities each path gave its own choice: on agreeing tokens their difference is the numeric noise
            // between the paths; at the first divergence, a difference of that size means the two tokens nearly tie.
            for (var t = 0; t < prefix; t++) agreeingNoise = Math.Max(agreeingNoise, Math.Abs(ours.LogProbs[t] - reference.LogProbs[t]));
            if (prefix < Math.Min(ours.Tokens.Count, reference.Tokens.Count))
            {
                divergenceGap = Math.Max(divergenceGap, Math.Abs(ours.LogProbs[prefix] - reference.LogProbs[prefix]));
            }
        }
        return $"greedy check vs single-sequence Generator ({model.DType}, {model.Device}, {engine.AttentionMode} attention): {equal}/{requests.Length} requests equal on all tokens (≤ 32 each), " +
            $"shortest agreeing prefix {shortest}; |log-prob difference| of the paths' chosen tokens: up to {agreeingNoise:G3} where they agree, up to {divergenceGap:G3} at first divergences" +
            (divergenceGap > 0 && divergenceGap <= 2 * agreeingNoise ? " (divergences are near-ties within the numeric noise)" : "");
    }

    private static GenerationParameters Greedy(int maxTokens) => new() { MaxTokens = maxTokens, IgnoreEos = true };
}
