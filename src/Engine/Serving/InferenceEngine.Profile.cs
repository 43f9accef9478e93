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
                    pool.UsedBlocks, pool.EvictableBlocks, pool.TotalBlocks, _scheduler.QueriedTokens, _scheduler.CachedTokens, _scheduler.Preemptions);
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
