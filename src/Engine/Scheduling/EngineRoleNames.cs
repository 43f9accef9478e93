namespace Cluster.Engine.Scheduling;

/// <summary>The configuration names of <see cref="EngineRole"/>; an unknown name fails at start-up.</summary>
public static class EngineRoleNames
{
    public const string Colocated = "colocated";
    public const string Prefill = "prefill";
    public const string Decode = "decode";

    /// <summary>The role named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static EngineRole? TryParse(string? name) => name?.ToLowerInvariant() switch
    {
        Colocated => EngineRole.Colocated,
        Prefill => EngineRole.Prefill,
        Decode => EngineRole.Decode,
        _ => null,
    };
}
