namespace Cluster.Engine.Scheduling;

/// <summary>
/// How the scheduler orders a request against others: waiting sequences are admitted <see cref="Normal"/> first, then
/// by arrival; when KV blocks run out, the latest-arrived <see cref="Low"/> running sequence is preempted before any
/// normal one. Low is for work that fills idle capacity (the Batch API): it may wait for as long as normal work keeps
/// the engine full.
/// </summary>
public enum EnginePriority
{
    /// <summary>Online requests (the default).</summary>
    Normal = 0,

    /// <summary>Background work (batch jobs): admitted after every waiting normal request, preempted first.</summary>
    Low = 1,
}

/// <summary>Names of <see cref="EnginePriority"/> values (metric tags).</summary>
public static class EnginePriorityNames
{
    public const string Normal = "normal";
    public const string Low = "low";

    public static string Name(EnginePriority priority) => priority == EnginePriority.Low ? Low : Normal;
}
