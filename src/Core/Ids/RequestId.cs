namespace Cluster.Core.Ids;

/// <summary>Identifies one client request across router, prefill and decode workers.</summary>
public readonly record struct RequestId(string Value)
{
    /// <summary>A new random id (32 hex characters).</summary>
    public static RequestId New() => new(Guid.NewGuid().ToString("N"));

    public override string ToString() => Value;
}
