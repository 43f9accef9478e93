namespace Cluster.ClusterState.Model;

/// <summary>An immutable view of one live worker as the registry last saw it.</summary>
/// <param name="Info">What it registered.</param>
/// <param name="Load">Its load from the last heartbeat (or registration).</param>
/// <param name="LastHeartbeat">When that heartbeat was accepted (the registry's clock).</param>
public sealed record WorkerSnapshot(WorkerInfo Info, WorkerLoad Load, DateTimeOffset LastHeartbeat);
