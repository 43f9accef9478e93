namespace Cluster.ClusterState.Model;

/// <summary>Result of a registry write. Shortfalls are values, never exceptions (CONVENTIONS §5).</summary>
public enum RegistryOutcome
{
    /// <summary>Stored.</summary>
    Accepted,

    /// <summary>The worker is not (or no longer) registered: its heartbeat key expired or was never set.
    /// Register again, then re-publish the full block set (<see cref="IPrefixIndex.ReplaceAllAsync"/>).</summary>
    NotRegistered,

    /// <summary>The state store could not be reached; nothing was stored. Try again on the next heartbeat.</summary>
    Unavailable,
}
