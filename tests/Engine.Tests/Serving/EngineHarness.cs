using Cluster.Core.Generation;
using Cluster.Core.Ids;
using Cluster.Engine.Generation;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;

namespace Cluster.Engine.Tests.Serving;

/// <summary>Builds engines over the tiny model and the single-sequence reference they must match.</summary>
internal static class EngineHarness
{
    public static readonly ModelId Model = new("tiny");

    public static InferenceEngine NewEngine(LlamaModel model, int blocks, int blockSize = 4, int maxBatchTokens = 2048, string role = EngineRoleNames.Colocated) =>
        new(model, Model, new EngineOptions { Role = role, MaxBatchTokens = maxBatchTokens },
            new KvCacheOptions { BlockSize = blockSize, NumBlocks = blocks });

    public static GenerationParameters Greedy(int maxTokens) => new() { MaxTokens = maxTokens, IgnoreEos = true };

    /// <summary>Deterministic prompts of byte tokens (0 … 255).</summary>
    public static int[] Prompt(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(256))];
    }

    public static IReadOnlyList<int> Reference(LlamaModel model, int[] prompt, int maxTokens) =>
        new Generator(model).Generate(prompt, Greedy(maxTokens)).Tokens;

    public static RequestId Id(int i) => new($"r{i}");

    public static IReadOnlyList<int> Tokens(RequestHandle handle)
    {
        Assert.True(handle.Completion.IsCompletedSuccessfully, $"request {handle.Id} did not complete");
        return handle.Completion.Result.Tokens;
    }

    public static GenerationResult Result(RequestHandle handle) => handle.Completion.Result;
}
