namespace Cluster.Router.Routing;

/// <summary>A policy's answer: the chosen worker, or why none fits (an expected shortfall, not an exception).</summary>
public sealed record WorkerSelection
{
    private WorkerSelection(RoutingCandidate? chosen, string reason)
    {
        Chosen = chosen;
        Reason = reason;
    }

    /// <summary>The chosen worker; null when none fits.</summary>
    public RoutingCandidate? Chosen { get; }

    /// <summary>Why nothing was chosen (empty when something was).</summary>
    public string Reason { get; }

    /// <summary>A worker was chosen.</summary>
    public static WorkerSelection Of(RoutingCandidate chosen) => new(chosen ?? throw new ArgumentNullException(nameof(chosen)), string.Empty);

    /// <summary>No worker fits, for <paramref name="reason"/>.</summary>
    public static WorkerSelection NoCapacity(string reason) => new(null, reason);
}
