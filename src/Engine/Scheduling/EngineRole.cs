namespace Cluster.Engine.Scheduling;

/// <summary>What a worker's engine does (configuration <c>Engine:Role</c>, names in <see cref="EngineRoleNames"/>).</summary>
public enum EngineRole
{
    /// <summary>Prefill and decode in one engine.</summary>
    Colocated,
    /// <summary>Runs prompts, samples the first token and keeps the KV for export until released.</summary>
    Prefill,
    /// <summary>Accepts imported KV (reservations) and generates; computes a prompt only to recompute a preempted sequence.</summary>
    Decode,
}
