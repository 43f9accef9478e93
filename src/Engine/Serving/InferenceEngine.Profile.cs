using Cluster.Engine.Model;

namespace Cluster.Engine.Serving;

public sealed partial class InferenceEngine
{
    /// <summary>Per-phase timings of the steps (benchmarks); set <see cref="StepProfile.Synchronize"/> before running to time device work per phase.</summary>
    public StepProfile Profile => _runner.Profile;

    /// <summary>What the engine holds now (metrics; takes the engine's lock briefly).</summary>
    public EngineGauges Gauges
    {
        get
        {
            lock (_sync)
            {
                var pool = Kv.Pool;
                return new EngineGauges(
                    _scheduler.RunningCount, _scheduler.WaitingCount, pool.TotalBlocks - pool.UsedBlocks - pool.EvictableBlocks,
                    pool.UsedBlocks, pool.EvictableBlocks, pool.TotalBlocks, _scheduler.QueriedTokens, _scheduler.CachedTokens, _scheduler.Preemptions, _scheduler.BypassedAdmissions)
                {
                    LowPriorityRunning = _scheduler.LowPriorityRunning,
                    LowPriorityWaiting = _scheduler.LowPriorityWaiting,
                    LowPriorityPreemptions = _scheduler.LowPriorityPreemptions,
                };
            }
        }
    }

    /// <summary>Called on the engine thread after every step that ran (metrics); must be quick and must not throw.</summary>
    public Action<StepReport>? StepCompleted { get; set; }

    /// <summary>Time the scheduler has spent choosing steps' chunks so far.</summary>
    public TimeSpan SchedulingTime
    {
        get
        {
            lock (_sync) return _scheduler.ScheduleTime;
        }
    }

    /// <summary>
    /// How decode-only steps run: <see cref="DecodeGraphMode.On"/> (CUDA graphs per batch-size bucket) unless
    /// Engine:CudaGraphs is false; benchmarks and tests switch between steps.
    /// </summary>
    public DecodeGraphMode DecodeGraphs
    {
        get => _runner.Graphs.Mode;
        set
        {
            lock (_stepGate) _runner.Graphs.Mode = value;
        }
    }

    /// <summary>Batch sizes decode-only steps are padded to (each its own CUDA graph per block-table width).</summary>
    public IReadOnlyList<int> DecodeGraphBuckets => _runner.Graphs.Buckets;

    /// <summary>Block-table widths (blocks) decode-only steps are padded to.</summary>
    public IReadOnlyList<int> DecodeGraphWidths => _runner.Graphs.Widths;

    internal DecodeGraphs Graphs => _runner.Graphs;

    /// <summary>Called once on the engine thread when decode graphs are captured, or with why decode steps stay eager (for the log).</summary>
    public Action<string>? Notice
    {
        get => _runner.Graphs.Notice;
        set => _runner.Graphs.Notice = value;
    }

    /// <summary>The last <see cref="Notice"/> (null before any).</summary>
    public string? DecodeGraphStatus => _runner.Graphs.Status;

    /// <summary>How the forward pass attends over the paged cache (<see cref="PagedAttentionMode.DecodeKernel"/>, which runs as Varlen off CUDA half/bf16, unless a benchmark compares).</summary>
    public PagedAttentionMode AttentionMode
    {
        get => _runner.AttentionMode;
        set
        {
            lock (_sync) _runner.AttentionMode = value;
        }
    }
}
