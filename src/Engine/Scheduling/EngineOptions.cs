namespace Cluster.Engine.Scheduling;

/// <summary>Configuration section <c>Engine</c>: role and per-step limits of the scheduler.</summary>
public sealed class EngineOptions
{
    public const string SectionName = "Engine";
    public const int DefaultMaxBatchTokens = 2048;
    public const int DefaultMaxSequences = 256;
    public const int DefaultAdmissionBypassLimit = 64;
    public const int DefaultLowPriorityPrefillTokens = 0;

    /// <summary><see cref="EngineRoleNames"/>: colocated, prefill or decode.</summary>
    public string Role { get; set; } = EngineRoleNames.Colocated;

    /// <summary>Token budget of one step: decodes (one token each) plus prefill chunks.</summary>
    public int MaxBatchTokens { get; set; } = DefaultMaxBatchTokens;

    /// <summary>Sequences running at once.</summary>
    public int MaxSequences { get; set; } = DefaultMaxSequences;

    /// <summary>
    /// How many later arrivals may be admitted ahead of the oldest waiting request while its blocks do not fit (bounded
    /// head-of-line bypass); 0 admits strictly in arrival order. A prefill worker whose cache is full of prompts whose KV
    /// pushes are still running otherwise keeps every prefix hit (a few blocks) waiting behind one long new prompt
    /// (hundreds). The bound keeps that long prompt from starving: once it has been overtaken this many times, nothing
    /// more is admitted before it.
    /// </summary>
    public int AdmissionBypassLimit { get; set; } = DefaultAdmissionBypassLimit;

    /// <summary>
    /// Prefill tokens of <see cref="EnginePriority.Low"/> sequences (batch work) one step may compute, across all of them.
    /// A step cannot be interrupted, so an online request arriving during a step of batch prefill waits for it: this bounds
    /// that wait to about one step of this many tokens, at some cost to batch throughput on devices that want longer
    /// chunks. Decodes of low sequences are not limited. 0 (the default until the GPU benchmark decides): no limit beyond
    /// Engine:MaxBatchTokens (tests/reference/results/batch/README.md has the CPU runs, which did not settle it).
    /// </summary>
    public int LowPriorityPrefillTokens { get; set; } = DefaultLowPriorityPrefillTokens;

    /// <summary>
    /// Decode-only steps replay CUDA graphs captured per batch-size bucket (on CUDA with the paged decode kernel; other
    /// devices and steps run eagerly). False: every step eagerly.
    /// </summary>
    public bool CudaGraphs { get; set; } = true;

    /// <summary>The parsed role; throws naming the setting when unknown.</summary>
    public EngineRole ParsedRole => EngineRoleNames.TryParse(Role)
        ?? throw new InvalidOperationException($"Engine:Role '{Role}' is unknown; use {EngineRoleNames.Colocated}, {EngineRoleNames.Prefill} or {EngineRoleNames.Decode}.");

    /// <summary>What is wrong, naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (EngineRoleNames.TryParse(Role) is null) errors.Add($"Engine:Role '{Role}' is not colocated, prefill or decode");
        if (MaxBatchTokens < 1) errors.Add($"Engine:MaxBatchTokens must be ≥ 1 (got {MaxBatchTokens})");
        if (MaxSequences < 1) errors.Add($"Engine:MaxSequences must be ≥ 1 (got {MaxSequences})");
        if (LowPriorityPrefillTokens < 0) errors.Add($"Engine:LowPriorityPrefillTokens must be ≥ 0 (0 = no limit; got {LowPriorityPrefillTokens})");
        if (AdmissionBypassLimit < 0) errors.Add($"Engine:AdmissionBypassLimit must be ≥ 0 (0 admits strictly in arrival order; got {AdmissionBypassLimit})");
        return errors;
    }
}
