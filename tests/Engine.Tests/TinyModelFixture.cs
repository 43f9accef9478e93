using Cluster.Engine.Synthetic;
using Cluster.Torch;

namespace Cluster.Engine.Tests;

/// <summary>Writes the "tiny" and "tiny-qwen2" presets (seed 1234, fp32) once into a temporary directory.</summary>
public sealed class TinyModelFixture : IDisposable
{
    public const ulong Seed = 1234;

    public TinyModelFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "engine-tests-" + Guid.NewGuid().ToString("N"));
        LlamaDir = Path.Combine(Root, "tiny");
        QwenDir = Path.Combine(Root, "tiny-qwen2");
        SyntheticModelWriter.Write(LlamaDir, ModelPresets.Get("tiny"), ScalarType.Float32, Seed);
        SyntheticModelWriter.Write(QwenDir, ModelPresets.Get("tiny-qwen2"), ScalarType.Float32, Seed);
    }

    public string Root { get; }
    public string LlamaDir { get; }
    public string QwenDir { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
