using Cluster.Core.Generation;
using Cluster.Engine.Generation;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Torch;

namespace Cluster.Integration.Tests.Infrastructure;

/// <summary>Single-process greedy generation with the Engine on the same model directory: what the cluster must reproduce.</summary>
internal sealed class GoldenReference : IDisposable
{
    private readonly LlamaModel _model;
    private readonly Lock _lock = new();

    public GoldenReference(string modelPath, int maxPositions = 2048)
    {
        _model = LlamaModel.Load(modelPath, Device.Parse("cpu"), ScalarType.Float32, maxPositions: maxPositions);
    }

    /// <summary>Greedy tokens for <paramref name="prompt"/>, at most <paramref name="maxTokens"/>, stopping at the model's EOS.</summary>
    public IReadOnlyList<int> Greedy(IReadOnlyList<int> prompt, int maxTokens, bool ignoreEos = false)
    {
        lock (_lock)
        {
            var result = new Generator(_model, cudaGraphs: false).Generate(prompt, new GenerationParameters { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = ignoreEos });
            return result.Tokens;
        }
    }

    public void Dispose() => _model.Dispose();
}
