using Cluster.Hosting.HealthChecks;

namespace Cluster.Router.Coordination;

/// <summary>
/// The prefix index as the router's lookups find it: every request's lookup reports whether the index answered. While
/// the last lookup failed, the router's <c>/readyz</c> says it is degraded (routing on load only, §5); the index never
/// blocks readiness. Thread-safe.
/// </summary>
public sealed class PrefixIndexHealth(Readiness? readiness = null)
{
    /// <summary>The readiness component name.</summary>
    public const string Component = "prefix-index";

    public const string DegradedNote = "prefix index unreachable at the last lookup: routing on load only until it answers";

    private int _available = 1;

    /// <summary>Whether the last lookup was answered (true before any).</summary>
    public bool Available => Volatile.Read(ref _available) == 1;

    /// <summary>One lookup's outcome.</summary>
    public void Report(bool available)
    {
        var now = available ? 1 : 0;
        if (Interlocked.Exchange(ref _available, now) == now)
        {
            return;
        }

        if (available)
        {
            readiness?.Restore(Component);
        }
        else
        {
            readiness?.Degrade(Component, DegradedNote);
        }
    }
}
