namespace Cluster.KvTransfer.Client;

/// <summary>The KV bytes of one <see cref="KvChunkRange"/>, in the layout of <see cref="Core.Kv.KvCacheLayout"/>.</summary>
public sealed record KvChunkData(KvChunkRange Range, ReadOnlyMemory<byte> Data);
