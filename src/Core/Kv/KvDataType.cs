namespace Cluster.Core.Kv;

/// <summary>Element type of a KV cache (the numbers match proto <c>cluster.v1.KvDtype</c>).</summary>
public enum KvDataType
{
    Float32 = 1,
    Float16 = 2,
    BFloat16 = 3,
}
