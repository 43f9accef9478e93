using Cluster.Engine.Model;

namespace Cluster.Engine.Serving;

public sealed partial class InferenceEngine
{
    /// <summary>Per-phase timings of the steps (benchmarks); set <see cref="StepProfile.Synchronize"/> before running to time device work per phase.</summary>
    public StepProfile Profile => _runner.Profile;

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
