namespace Cluster.Engine.KvCache;

/// <summary>Index of one physical KV block in the cache's preallocated tensors.</summary>
public readonly record struct KvBlockId(int Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
