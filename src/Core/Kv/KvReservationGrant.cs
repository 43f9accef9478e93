namespace Cluster.Core.Kv;

/// <summary>What a decode worker's cache granted a KV-transfer reservation.</summary>
/// <param name="Blocks">Blocks reserved for the request's tokens (its whole block table).</param>
/// <param name="CachedBlocks">Leading blocks the worker's prefix cache already held (pinned): their KV is not pushed.</param>
public sealed record KvReservationGrant(int Blocks, int CachedBlocks);
