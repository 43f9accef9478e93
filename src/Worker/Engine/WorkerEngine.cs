using Cluster.Core.Ids;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Torch;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Worker.Engine;

/// <summary>The worker's model and its serving engine (loaded once, when first resolved: at start-up).</summary>
internal sealed class WorkerEngine : IDisposable
{
    /// <remarks>
    /// The load logs its progress (every 2 s, and when done with the rate) and tells every registered
    /// <see cref="IProgress{T}"/> of <see cref="ModelLoadProgress"/> (<c>cluster up</c> draws its progress bar from it).
    /// </remarks>
    public WorkerEngine(IOptions<WorkerOptions> worker, IOptions<EngineOptions> engine, IOptions<KvCacheOptions> kvCache,
        ILogger<WorkerEngine> logger, IEnumerable<IProgress<ModelLoadProgress>> loadObservers)
    {
        var o = worker.Value;
        var device = Device.Parse(o.Device);
        var dtype = string.IsNullOrWhiteSpace(o.DType)
            ? (device.IsCuda ? ScalarType.BFloat16 : ScalarType.Float32)
            : ScalarTypeExtensions.Parse(o.DType);
        Model = LlamaModel.Load(o.ModelPath, device, dtype, o.MaxModelLength, new LoadLog(logger, [.. loadObservers]));
        ModelId = new ModelId(string.IsNullOrWhiteSpace(o.ModelId) ? DirectoryName(o.ModelPath) : o.ModelId);
        Options = engine.Value;
        Engine = new InferenceEngine(Model, ModelId, Options, kvCache.Value);
        Engine.Notice = message => logger.LogInformation("Engine: {Notice}", message);   // CUDA graphs captured, or why decode steps stay eager
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

    private sealed class LoadLog(ILogger logger, IProgress<ModelLoadProgress>[] observers) : IProgress<ModelLoadProgress>
    {
        private TimeSpan _lastLogged;

        public void Report(ModelLoadProgress value)
        {
            foreach (var observer in observers) observer.Report(value);
            if (value.Done)
            {
                logger.LogInformation("Loaded model {Directory}: {GiB:F2} GiB in {Seconds:F1} s ({Rate:F2} GiB/s)", value.Directory,
                    value.LoadedGiB, value.Elapsed.TotalSeconds, value.GiBPerSecond);
            }
            else if (value.Elapsed - _lastLogged >= TimeSpan.FromSeconds(2))
            {
                _lastLogged = value.Elapsed;
                logger.LogInformation("Loading model {Directory}: {Percent:F0} % ({GiB:F2} of {TotalGiB:F2} GiB)", value.Directory, 100 * value.Fraction,
                    value.LoadedGiB, value.TotalGiB);
            }
        }
    }

    private static string DirectoryName(string path) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
}
