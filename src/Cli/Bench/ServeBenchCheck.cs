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
        for (var i = 0; i < requests.Length; i++)
        {
            var ours = handles[i].Completion.Result.Tokens;
            var reference = generator.Generate(requests[i].Prompt, Greedy(requests[i].MaxTokens)).Tokens;
            var prefix = ours.Zip(reference).TakeWhile(p => p.First == p.Second).Count();
            if (prefix == reference.Count && ours.Count == reference.Count) equal++;
            shortest = Math.Min(shortest, prefix);
        }
        return $"greedy check vs single-sequence Generator ({model.DType}, {model.Device}): {equal}/{requests.Length} requests equal on all tokens (≤ 32 each), shortest agreeing prefix {shortest}";
    }

    private static SamplingParams Greedy(int maxTokens) => new() { MaxTokens = maxTokens, IgnoreEos = true };
}
