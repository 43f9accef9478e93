using Cluster.Core.Generation;
using Cluster.Engine.Generation;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Synthetic;
using Cluster.Torch;

namespace Cluster.Worker.Tests.Support;

/// <summary>The tiny fp32 model, generated once per test class into a temp directory, and greedy reference generation.</summary>
public sealed class TinyModel : IDisposable
{
    private readonly Lazy<LlamaModel> _reference;

    /// <param name="maxPositions">The context length written to its config; null keeps the preset's (2,048).</param>
    public TinyModel(int? maxPositions = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "worker-tests-" + Guid.NewGuid().ToString("N"), "tiny");
        var config = ModelPresets.Get("tiny");
        SyntheticModelWriter.Write(Directory, maxPositions is { } n ? config with { MaxPositionEmbeddings = n } : config, ScalarType.Float32, seed: 91);
        _reference = new Lazy<LlamaModel>(() => LlamaModel.Load(Directory, Device.CPU, ScalarType.Float32));
    }

    /// <summary>The model directory (its name, "tiny", is the served model id).</summary>
    public string Directory { get; }

    public const string Id = "tiny";

    public const int VocabSize = 320;

    /// <summary>Single-sequence greedy generation (EOS ignored) on the same weights: the reference every path must equal.</summary>
    public IReadOnlyList<int> Greedy(int[] prompt, int maxTokens)
    {
        lock (_reference) return new Generator(_reference.Value).Generate(prompt, new GenerationParameters { MaxTokens = maxTokens, IgnoreEos = true }).Tokens;
    }

    public static int[] Prompt(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(256))];
    }

    public void Dispose()
    {
        if (_reference.IsValueCreated) _reference.Value.Dispose();
        System.IO.Directory.Delete(Path.GetDirectoryName(Directory)!, recursive: true);
    }
}
