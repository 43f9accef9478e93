namespace Cluster.Core.Ids;

/// <summary>Identifies one worker process (prefill, decode or colocated) in the cluster.</summary>
public readonly record struct WorkerId(string Value)
{
    public override string ToString() => Value;
}
