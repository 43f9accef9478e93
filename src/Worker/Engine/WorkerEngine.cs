using Cluster.Core.Ids;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Torch;
using Microsoft.Extensions.Options;

namespace Cluster.Worker.Engine;

/// <summary>The worker's model and its serving engine (loaded once, when first resolved: at start-up).</summary>
internal sealed class WorkerEngine : IDisposable
{
    public WorkerEngine(IOptions<WorkerOptions> worker, IOptions<EngineOptions> engine, IOptions<KvCacheOptions> kvCache)
    {
        var o = worker.Value;
        var device = Device.Parse(o.Device);
        var dtype = string.IsNullOrWhiteSpace(o.DType)
            ? (device.IsCuda ? ScalarType.BFloat16 : ScalarType.Float32)
            : ScalarTypeExtensions.Parse(o.DType);
        Model = LlamaModel.Load(o.ModelPath, device, dtype, o.MaxModelLength);
        ModelId = new ModelId(string.IsNullOrWhiteSpace(o.ModelId) ? DirectoryName(o.ModelPath) : o.ModelId);
        Options = engine.Value;
        Engine = new InferenceEngine(Model, ModelId, Options, kvCache.Value);
    }

    public LlamaModel Model { get; }

    public ModelId ModelId { get; }

    public EngineOptions Options { get; }

    public InferenceEngine Engine { get; }

    public EngineRole Role => Engine.Role;

    public int VocabSize => Model.Config.VocabSize;

    /// <summary>Longest sequence (prompt + output) this instance runs.</summary>
    public int MaxPositions => Model.MaxPositions;

    public void Dispose()
    {
        Engine.Dispose();
        Model.Dispose();
    }

    private static string DirectoryName(string path) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
}
