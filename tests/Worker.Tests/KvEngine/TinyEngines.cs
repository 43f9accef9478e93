using Cluster.Core.Generation;
using Cluster.Core.Ids;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Engine.Synthetic;
using Cluster.Torch;

namespace Cluster.Worker.Tests.KvEngine;

/// <summary>The tiny random-weight model in a temporary directory, and engines over it (block size 4, 64 blocks).</summary>
internal sealed class TinyEngines : IDisposable
{
    public static readonly ModelId Model = new("tiny");
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kv-transfer-tests-" + Guid.NewGuid().ToString("N"));

    public TinyEngines()
    {
        SyntheticModelWriter.Write(_dir, ModelPresets.Get("tiny"), ScalarType.Float32, seed: 77);
        Llama = LlamaModel.Load(_dir, Device.CPU, ScalarType.Float32);
    }

    public LlamaModel Llama { get; }

    public InferenceEngine New(string role, int maxBatchTokens = EngineOptions.DefaultMaxBatchTokens) =>
        new(Llama, Model, new EngineOptions { Role = role, MaxBatchTokens = maxBatchTokens }, new KvCacheOptions { BlockSize = 4, NumBlocks = 64 });

    public static GenerationParameters Greedy(int maxTokens) => new() { MaxTokens = maxTokens, IgnoreEos = true };

    public static int[] Prompt(int length)
    {
        var random = new Random(length);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(256))];
    }

    /// <summary>Every layer of <paramref name="blocks"/> in the transfer byte layout.</summary>
    public static byte[] ExportAll(PagedKvStorage storage, IReadOnlyList<KvBlockId> blocks)
    {
        var bytes = new byte[storage.Layout.RangeBytes(storage.Layout.Layers, blocks.Count)];
        storage.Export(storage.Layout, 0, storage.Layout.Layers, blocks, bytes);
        return bytes;
    }

    public void Dispose()
    {
        Llama.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
