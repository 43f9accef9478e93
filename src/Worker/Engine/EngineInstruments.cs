using System.Diagnostics.Metrics;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Worker.Requests;

namespace Cluster.Worker.Engine;

/// <summary>
/// Metrics of the worker's engine (meter <see cref="MeterName"/>, ARCHITECTURE §9), on every role: sequences, KV blocks,
/// prefix-cache queries and hits in tokens, preemptions (sequences and preemptions also by <c>priority</c>), step duration and tokens per step by phase, decode-only steps
/// by how they ran (CUDA graph replay or eager), and the prefill
/// rate the worker advertises to the router. Every measurement carries the engine's <c>role</c>.
/// </summary>
internal sealed class EngineInstruments
{
    public const string MeterName = "Cluster.Engine";
    public const string Sequences = "cluster.engine.sequences";
    public const string KvBlocks = "cluster.engine.kv.blocks";
    public const string KvUsage = "cluster.engine.kv.usage";
    public const string PrefixQueries = "cluster.engine.prefix_cache.queries";
    public const string PrefixHits = "cluster.engine.prefix_cache.hits";
    public const string Preemptions = "cluster.engine.preemptions";
    public const string BypassedAdmissions = "cluster.engine.admission.bypassed";
    public const string StepDuration = "cluster.engine.step.duration";
    public const string StepTokens = "cluster.engine.step.tokens";
    public const string DecodeSteps = "cluster.engine.decode_steps";
    public const string PrefillRate = "cluster.worker.prefill.rate";

    public EngineInstruments(IMeterFactory meterFactory, WorkerEngine engine, PrefillRateMeter prefillRate)
    {
        var meter = meterFactory.Create(MeterName);
        var role = new KeyValuePair<string, object?>("role", engine.Role.ToString().ToLowerInvariant());
        var inferenceEngine = engine.Engine;
        meter.CreateObservableGauge(Sequences, () => ObserveSequences(inferenceEngine.Gauges, role), "{sequence}",
            "Sequences running in the batch and waiting, by state and priority (normal: online, low: batch work)");
        meter.CreateObservableGauge(KvBlocks, () => Observe(inferenceEngine, g => [(g.FreeBlocks, "free"), (g.UsedBlocks, "used"), (g.CachedBlocks, "cached")], role), "{block}",
            "KV blocks by state: free, used (referenced), cached (prefix cache, unreferenced, evictable)");
        meter.CreateObservableGauge(KvUsage, () => new Measurement<double>((double)inferenceEngine.Gauges.UsedBlocks / inferenceEngine.Gauges.TotalBlocks, role), "1", "Used KV blocks / all blocks (0-1)");
        meter.CreateObservableCounter(PrefixQueries, () => new Measurement<long>(inferenceEngine.Gauges.QueriedPromptTokens, role), "{token}", "Tokens looked up in the prefix cache when sequences were admitted");
        meter.CreateObservableCounter(PrefixHits, () => new Measurement<long>(inferenceEngine.Gauges.HitPromptTokens, role), "{token}", "Of those, tokens found in the prefix cache");
        meter.CreateObservableCounter(Preemptions, () => ObservePreemptions(inferenceEngine.Gauges, role), "{preemption}",
            "Sequences preempted (recomputed later) because blocks ran out, by priority (low ones are preempted first)");
        meter.CreateObservableCounter(BypassedAdmissions, () => new Measurement<long>(inferenceEngine.Gauges.BypassedAdmissions, role), "{sequence}",
            "Sequences admitted ahead of an earlier arrival whose KV blocks did not fit (Engine:AdmissionBypassLimit)");
        meter.CreateObservableGauge(PrefillRate, () => new Measurement<double>(prefillRate.TokensPerSecond, role), "{token}/s", "Prefill tokens per busy second the worker advertises (the router's cost input; 0 = not measured)");
        var profile = inferenceEngine.Profile;
        meter.CreateObservableCounter(DecodeSteps, () => new[]
        {
            new Measurement<long>(profile.GraphSteps, role, new KeyValuePair<string, object?>("mode", "graph")),
            new Measurement<long>(profile.PaddedSteps - profile.GraphSteps + profile.EagerDecodeSteps, role, new KeyValuePair<string, object?>("mode", "eager")),
        }, "{step}", "Decode-only steps: replayed from a CUDA graph (Engine:CudaGraphs) or run eagerly");
        var stepDuration = meter.CreateHistogram<double>(StepDuration, "s", "Wall time of one engine step (forward pass and sampling), by phase (prefill, decode, mixed)");
        var stepTokens = meter.CreateHistogram<long>(StepTokens, "{token}", "Tokens run in one engine step, by phase");
        inferenceEngine.StepCompleted = step =>
        {
            var phase = new KeyValuePair<string, object?>("phase", step.HasPrefill ? (step.HasDecode ? "mixed" : "prefill") : "decode");
            stepDuration.Record(step.Duration.TotalSeconds, role, phase);
            stepTokens.Record(step.Tokens, role, phase);
        };
    }

    private static KeyValuePair<string, object?> Priority(string name) => new("priority", name);

    private static Measurement<int>[] ObserveSequences(EngineGauges g, KeyValuePair<string, object?> role) =>
    [
        new(g.Running - g.LowPriorityRunning, role, new("state", "running"), Priority(EnginePriorityNames.Normal)),
        new(g.LowPriorityRunning, role, new("state", "running"), Priority(EnginePriorityNames.Low)),
        new(g.Waiting - g.LowPriorityWaiting, role, new("state", "waiting"), Priority(EnginePriorityNames.Normal)),
        new(g.LowPriorityWaiting, role, new("state", "waiting"), Priority(EnginePriorityNames.Low)),
    ];

    private static Measurement<long>[] ObservePreemptions(EngineGauges g, KeyValuePair<string, object?> role) =>
    [
        new(g.Preemptions - g.LowPriorityPreemptions, role, Priority(EnginePriorityNames.Normal)),
        new(g.LowPriorityPreemptions, role, Priority(EnginePriorityNames.Low)),
    ];

    private static IEnumerable<Measurement<int>> Observe(InferenceEngine engine, Func<EngineGauges, (int Value, string State)[]> select, KeyValuePair<string, object?> role) =>
        select(engine.Gauges).Select(m => new Measurement<int>(m.Value, role, new KeyValuePair<string, object?>("state", m.State)));
}
